/*
 * CORS for the wallet, on the routes it calls and only there. An HTTP API's CORS setting covers every route, and
 * its response parameter mapping cannot set Access-Control-* headers (reserved), so the stack deploys the wallet's
 * routes from handlers/wallet/*.ts, each its handler inside this wrapper: every answer, errors included, names
 * the wallet's origin (BLINDGATE_WALLET_ORIGIN, set by the stack). The preflight (OPTIONS) of those paths, and only
 * those, is answered by a function of its own (handlers/wallet/preflight.ts): 204 with the wallet's origin, the
 * methods and the two request headers the wallet sends, cached a day by browsers. Local mode serves the wallet from
 * the gateway's own origin and needs none of this.
 */

export const WALLET_ORIGIN_ENV = "BLINDGATE_WALLET_ORIGIN";

/** The request headers the wallet sends to the gateway from its own origin. */
export const CORS_ALLOW_HEADERS = "authorization, content-type";
/** How long a browser may keep a preflight's answer: a day. */
export const CORS_MAX_AGE_SECONDS = 86_400;

type Headers = Record<string, string | number | boolean>;

function walletOrigin(origin: string | undefined): string {
  if (origin === undefined || !/^https:\/\/[^/\s]+$/.test(origin)) {
    throw new Error(`${WALLET_ORIGIN_ENV} must be an https origin`);
  }
  return origin;
}

/** Wrap a handler so its HTTP answers carry `Access-Control-Allow-Origin: <wallet origin>` and `Vary: Origin`. */
export function withWalletCors<E, C, R>(
  inner: (event: E, context: C) => Promise<R>,
  configured: string | undefined = process.env[WALLET_ORIGIN_ENV],
): (event: E, context: C) => Promise<R> {
  const origin = walletOrigin(configured);
  return async (event, context) => {
    const out = await inner(event, context);
    if (typeof out !== "object" || out === null || !("statusCode" in out)) return out;
    const headers = ((out as { headers?: Headers }).headers ?? {}) as Headers;
    const vary = Object.entries(headers).find(([k]) => k.toLowerCase() === "vary")?.[1];
    const rest = Object.fromEntries(
      Object.entries(headers).filter(([k]) => !/^(vary|access-control-allow-origin)$/i.test(k)),
    );
    return {
      ...out,
      headers: {
        ...rest,
        "access-control-allow-origin": origin,
        vary: vary === undefined || vary === "" ? "Origin" : `${vary}, Origin`,
      },
    };
  };
}

/** The preflight of the wallet's routes: 204, the wallet's origin, the methods and headers it may use. */
export function createPreflightHandler(
  configured: string | undefined = process.env[WALLET_ORIGIN_ENV],
): () => Promise<{ statusCode: 204; headers: Record<string, string> }> {
  const headers = {
    "access-control-allow-origin": walletOrigin(configured),
    "access-control-allow-methods": "GET, POST",
    "access-control-allow-headers": CORS_ALLOW_HEADERS,
    "access-control-max-age": String(CORS_MAX_AGE_SECONDS),
    vary: "Origin",
  };
  return async () => ({ statusCode: 204, headers: { ...headers } });
}
