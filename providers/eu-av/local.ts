import { createServer, type IncomingMessage } from "node:http";
import { exportGrantJwks, type GrantJwks, type GrantKey, generateGrantKey } from "@blindgate/sdk/provider";
import { setGlobalConfig } from "@openid4vc/utils";
import { closeServer, invoke, listenLoopback, writeFailure } from "../../dev/lambda-http.js";
import { type EuAvConfigInput, parseEuAvConfig } from "./config.js";
import { createEuAvHandler } from "./handler.js";
import { WindowRateLimiter } from "./rate-limit.js";
import { MemorySessionStore } from "./sessions.js";
import { parseTrustedIacas } from "./trust.js";

/*
 * Local mode: the Lambda handler itself behind node:http, sessions in memory. `npm start` runs it beside the demo
 * provider; tests run it over real HTTP. Browsers use http://<host>:<port> (give it its own host, e.g.
 * eu-av.localhost: cookies are scoped by host); the server listens on 127.0.0.1 only.
 */

export interface EuAvProviderOptions {
  /** Port (0: any free port). */
  port?: number;
  /** Host name browsers use (default 127.0.0.1). */
  host?: string;
  /** The gateway's issuer name (grants' aud). */
  gatewayIssuer: string;
  /** The wallet origin(s) served. */
  walletOrigin: string | readonly string[];
  /** Trusted IACA certificates (PEM or DER). */
  trustedIacas: readonly (string | Uint8Array)[];
  /** Provider id registered with the gateway (default "eu-av"). */
  providerId?: string;
  /** Grant key (default: a new one; register `jwks` of the result). */
  grantKey?: GrantKey;
  thresholds?: readonly number[];
  maxTokens?: number;
  grantTtlSeconds?: number;
  sessionTtlSeconds?: number;
  /** Sessions one client address may open per minute (default 10). */
  sessionsPerMinute?: number;
  /** npm start's TEST wallet (test-wallet/server.ts): the page links to it for a same-device answer. */
  testWalletUrl?: string;
  /** Clock (tests). */
  now?: () => Date;
  /** Sees every request (tests: what the provider learns). */
  onRequest?: (request: {
    method: string;
    url: string;
    headers: IncomingMessage["headers"];
    body: string;
  }) => void;
}

export interface EuAvProvider {
  /** The URL browsers and wallet apps use. */
  readonly url: string;
  /** The same server on 127.0.0.1. */
  readonly localUrl: string;
  /** The page the wallet opens: register it with the gateway. */
  readonly verifyUrl: string;
  readonly providerId: string;
  /** The grant key's public JWKS: register it with the gateway. */
  readonly jwks: GrantJwks;
  close(): Promise<void>;
}

const MAX_BODY = 128 * 1024;

/**
 * Start the EU AV provider on localhost.
 *
 * @example
 * ```ts
 * const euAv = await startEuAvProvider({
 *   port: 8790,
 *   host: "eu-av.localhost",
 *   gatewayIssuer: gateway.issuerName,
 *   walletOrigin: new URL(gateway.walletUrl).origin,
 *   trustedIacas: [readFileSync("iaca.pem", "utf8")],
 * });
 * await gateway.addProvider({ id: euAv.providerId, name: "EU age verification", verifyUrl: euAv.verifyUrl, jwks: euAv.jwks });
 * ```
 */
export async function startEuAvProvider(options: EuAvProviderOptions): Promise<EuAvProvider> {
  const server = createServer();
  const port = await listenLoopback(server, options.port ?? 0);
  const url = `http://${options.host ?? "127.0.0.1"}:${port}`;
  // @openid4vc refuses http:// response URIs unless told; local mode only ever serves loopback hosts.
  setGlobalConfig({ allowInsecureUrls: true });

  const input: EuAvConfigInput = {
    providerId: options.providerId ?? "eu-av",
    gatewayIssuer: options.gatewayIssuer,
    walletOrigins:
      typeof options.walletOrigin === "string" ? [options.walletOrigin] : [...options.walletOrigin],
    publicUrl: url,
    ...(options.thresholds !== undefined ? { thresholds: [...options.thresholds] } : {}),
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    ...(options.grantTtlSeconds !== undefined ? { grantTtlSeconds: options.grantTtlSeconds } : {}),
    ...(options.sessionTtlSeconds !== undefined ? { sessionTtlSeconds: options.sessionTtlSeconds } : {}),
    ...(options.sessionsPerMinute !== undefined ? { sessionsPerMinute: options.sessionsPerMinute } : {}),
    ...(options.testWalletUrl !== undefined ? { testWalletUrl: options.testWalletUrl } : {}),
  };
  const config = parseEuAvConfig(input);
  const grantKey = options.grantKey ?? (await generateGrantKey());
  const sessions = new MemorySessionStore();
  const now = options.now ?? (() => new Date());
  const handler = createEuAvHandler({
    config,
    trust: parseTrustedIacas(options.trustedIacas),
    sessions,
    grantKey,
    sessionLimiter: new WindowRateLimiter({ limit: config.sessionsPerMinute, windowSeconds: 60 }),
    now,
  });

  server.on("request", (req, res) => {
    sessions.sweep(Math.floor(now().getTime() / 1000));
    invoke(handler, "eu-av", req, res, {
      maxBody: MAX_BODY,
      routeKey: "$default",
      onBody: (request, body) =>
        options.onRequest?.({
          method: request.method ?? "",
          url: request.url ?? "",
          headers: { ...request.headers },
          body: body.toString("utf8"),
        }),
    }).catch((error: unknown) => writeFailure(res, error));
  });

  return {
    url,
    localUrl: `http://127.0.0.1:${port}`,
    verifyUrl: `${url}/verify`,
    providerId: config.providerId,
    jwks: await exportGrantJwks(grantKey),
    close: () => closeServer(server),
  };
}
