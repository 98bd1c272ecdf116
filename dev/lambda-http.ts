import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";

/*
 * node:http on one machine, shaped like API Gateway's HTTP API (payload 2.0): the one adapter every local server
 * uses — the gateway's (functions/local), the EU AV provider's (providers/eu-av/local.ts) and the demo's — so a
 * Lambda handler runs locally on the event Lambda would give it, and every local server reads bodies, bounds them
 * and binds its port the same way. It sits outside functions/ on purpose: the provider and the demo are other
 * deployables and must not need the gateway's code; it depends on nothing but node and the aws-lambda types.
 */

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type LambdaHttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/** Largest request body a local server reads by default (API Gateway's own limit is 10 MB; ours is lower). */
export const MAX_LOCAL_BODY = 1 << 20;

/** Thrown by {@link readBody} past its limit; {@link writeFailure} answers it 413. */
export class BodyTooLarge extends Error {
  override name = "BodyTooLarge";
}

/** Thrown by {@link listenLoopback} when the port is taken, so a start script can name the setting that moves it. */
export class PortInUse extends Error {
  override name = "PortInUse";
  constructor(readonly port: number) {
    super(`port ${port} on 127.0.0.1 is already in use`);
  }
}

/** The whole body of a request, refused past `limit` bytes without buffering the rest. */
export async function readBody(req: IncomingMessage, limit = MAX_LOCAL_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge("body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Bind `server` to 127.0.0.1 only (nothing local is meant for the network). Port 0 takes a free one.
 * Resolves with the bound port; rejects with {@link PortInUse} when another process holds it.
 */
export async function listenLoopback(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(error.code === "EADDRINUSE" ? new PortInUse(port) : error);
    server.once("error", failed);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", failed);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Close a server now, its keep-alive connections included. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** What an API Gateway HTTP API (payload 2.0) event is made of. */
export interface EventParts {
  method: string;
  path: string;
  query?: string;
  /** Header names lowercased, as API Gateway delivers them. */
  headers?: Record<string, string>;
  cookies?: string[];
  body?: Uint8Array;
  sourceIp?: string;
  protocol?: string;
  /** "$default" for a catch-all route (the EU AV provider's); default "<METHOD> <path>" (the gateway's routes). */
  routeKey?: string;
}

/** A payload 2.0 event, shaped like API Gateway's (body base64-encoded). */
export function httpEvent(parts: EventParts): HttpEvent {
  const headers = parts.headers ?? {};
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(parts.query ?? "")) query[k] = k in query ? `${query[k]},${v}` : v;
  const method = parts.method.toUpperCase();
  const routeKey = parts.routeKey ?? `${method} ${parts.path}`;
  const now = new Date();
  return {
    version: "2.0",
    routeKey,
    rawPath: parts.path,
    rawQueryString: parts.query ?? "",
    headers,
    ...(parts.cookies !== undefined && parts.cookies.length > 0 ? { cookies: parts.cookies } : {}),
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: "local",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "local",
      http: {
        method,
        path: parts.path,
        protocol: parts.protocol ?? "HTTP/1.1",
        sourceIp: parts.sourceIp ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: Buffer.from(parts.body ?? new Uint8Array()).toString("base64"),
    isBase64Encoded: true,
  };
}

/**
 * The payload 2.0 event of a node:http request: cookies moved out of the headers into `cookies` and repeated
 * headers joined with commas, as API Gateway does; the peer's address as `sourceIp`.
 */
export function toEvent(req: IncomingMessage, body: Uint8Array, routeKey?: string): HttpEvent {
  const url = new URL(req.url ?? "/", "http://local");
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (name === "cookie") cookies.push(...String(value).split(/;\s*/));
    else headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  return httpEvent({
    method: req.method ?? "GET",
    path: url.pathname,
    query: url.search.slice(1),
    headers,
    cookies,
    body,
    sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
    protocol: `HTTP/${req.httpVersion}`,
    ...(routeKey === undefined ? {} : { routeKey }),
  });
}

/** A Lambda context for a local invocation of the function `name` (10 s left, as the stacks' timeout). */
export const lambdaContext = (name: string): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: name,
  functionVersion: "$LATEST",
  invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
  memoryLimitInMB: "512",
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${name}`,
  logStreamName: "local",
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

export interface InvokeOptions {
  /** Largest body read (default {@link MAX_LOCAL_BODY}). */
  maxBody?: number;
  /** The event's route key (see {@link EventParts.routeKey}). */
  routeKey?: string;
  /** Sees each request with its body, once read (tests record what a party received). */
  onBody?: (req: IncomingMessage, body: Buffer) => void;
}

/** Read the request, call the handler with its event, write its result. Rejects as {@link readBody} does. */
export async function invoke(
  handler: LambdaHttpHandler,
  name: string,
  req: IncomingMessage,
  res: ServerResponse,
  options: InvokeOptions = {},
): Promise<void> {
  const body = await readBody(req, options.maxBody);
  options.onBody?.(req, body);
  const result = await handler(toEvent(req, body, options.routeKey), lambdaContext(name));
  writeResult(res, result);
}

/** Write a handler's result (status, headers, `cookies` as Set-Cookie, base64 or text body). */
export function writeResult(res: ServerResponse, result: HttpResult): void {
  const headers: Record<string, string | number | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {}))
    headers[k] = typeof v === "boolean" ? String(v) : v;
  if (result.cookies !== undefined && result.cookies.length > 0) headers["set-cookie"] = result.cookies;
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : result.isBase64Encoded
        ? Buffer.from(result.body, "base64")
        : Buffer.from(result.body, "utf8");
  headers["content-length"] = body.length;
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}

/**
 * Answer a request whose invocation failed: 413 `ERR_BODY_TOO_LARGE` for an oversized body, otherwise a generic
 * 500 (never the error's message: it could hold input). The code is in the body and in `x-error-code`, the shape
 * every blindgate JSON route answers with.
 */
export function writeFailure(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const [status, code] = error instanceof BodyTooLarge ? [413, "ERR_BODY_TOO_LARGE"] : [500, "ERR_INTERNAL"];
  writeResult(res, {
    statusCode: status,
    headers: { "content-type": "application/json", "x-error-code": code, "cache-control": "no-store" },
    body: JSON.stringify({ error: { code, message: code.slice(4).toLowerCase().replaceAll("_", " ") } }),
  });
}
