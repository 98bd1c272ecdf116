/*
 * CORS for the wallet, on the routes it calls and only there. An HTTP API's CORS setting covers every route, and
 * its response parameter mapping cannot set Access-Control-* headers (reserved), so the stack deploys the wallet's
 * routes from handlers/wallet/*.ts, each its handler inside this wrapper: every answer, errors included, names
 * the wallet's origin (BLINDGATE_WALLET_ORIGIN, set by the stack). The preflight of those paths is answered by the
 * preflight function (infra/constructs/preflight.ts). Local mode serves the wallet from the gateway's own origin
 * and needs none of this.
 */

export const WALLET_ORIGIN_ENV = "BLINDGATE_WALLET_ORIGIN";

type Headers = Record<string, string | number | boolean>;

/** Wrap a handler so its HTTP answers carry `Access-Control-Allow-Origin: <wallet origin>` and `Vary: Origin`. */
export function withWalletCors<E, C, R>(
  inner: (event: E, context: C) => Promise<R>,
  origin: string | undefined = process.env[WALLET_ORIGIN_ENV],
): (event: E, context: C) => Promise<R> {
  if (origin === undefined || !/^https:\/\/[^/\s]+$/.test(origin)) {
    throw new Error(`${WALLET_ORIGIN_ENV} must be an https origin`);
  }
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
