import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { exportGrantJwks, type GrantJwks, type GrantKey, generateGrantKey } from "@blindgate/sdk/provider";
import { setGlobalConfig } from "@openid4vc/utils";
import type { Context } from "aws-lambda";
import { type EuAvConfigInput, parseEuAvConfig } from "./config.js";
import { createEuAvHandler } from "./handler.js";
import type { HttpEvent } from "./http.js";
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
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
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
    now,
  });

  server.on("request", async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY) {
          res.writeHead(413, { "content-type": "application/json", "x-error-code": "ERR_BODY_TOO_LARGE" });
          res.end(
            JSON.stringify({ error: { code: "ERR_BODY_TOO_LARGE", message: "request body too large" } }),
          );
          return;
        }
        chunks.push(chunk as Buffer);
      }
      const body = Buffer.concat(chunks);
      const target = new URL(req.url ?? "/", "http://local");
      options.onRequest?.({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: { ...req.headers },
        body: body.toString("utf8"),
      });
      sessions.sweep(Math.floor(now().getTime() / 1000));
      const result = await handler(toEvent(req, target, body), context);
      const headers: Record<string, string | number> = {};
      for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
      const out =
        result.body === undefined
          ? Buffer.alloc(0)
          : Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8");
      headers["content-length"] = out.length;
      res.writeHead(result.statusCode ?? 200, headers);
      res.end(out);
    } catch {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "ERR_INTERNAL", message: "internal error" } }));
    }
  });

  return {
    url,
    localUrl: `http://127.0.0.1:${port}`,
    verifyUrl: `${url}/verify`,
    providerId: config.providerId,
    jwks: await exportGrantJwks(grantKey),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function toEvent(req: IncomingMessage, url: URL, body: Buffer): HttpEvent {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = String(v);
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const method = (req.method ?? "GET").toUpperCase();
  const now = new Date();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: "local",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "local",
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.toString("base64"),
    isBase64Encoded: true,
  };
}

const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: "eu-av",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:local:000000000000:function:eu-av",
  memoryLimitInMB: "512",
  awsRequestId: "local",
  logGroupName: "/aws/lambda/eu-av",
  logStreamName: "local",
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;
