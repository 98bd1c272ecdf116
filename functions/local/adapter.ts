import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "aws-lambda";
import type { HttpEvent, HttpResult } from "../http/index.js";

/*
 * API Gateway HTTP API (payload 2.0) on node:http: the local server turns each request into the event Lambda
 * would get, calls the very handler module deployed on AWS, and writes its result back.
 */

export type LambdaHttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/** Largest request body the local server reads (API Gateway's own limit is 10 MB; ours is much lower). */
export const MAX_LOCAL_BODY = 1 << 20;

export class BodyTooLarge extends Error {}

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
}

/** A payload 2.0 event, shaped like API Gateway's (body base64-encoded). */
export function httpEvent(parts: EventParts): HttpEvent {
  const headers = parts.headers ?? {};
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(parts.query ?? "")) query[k] = k in query ? `${query[k]},${v}` : v;
  const routeKey = `${parts.method} ${parts.path}`;
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
        method: parts.method.toUpperCase(),
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

/** The payload 2.0 event of a node:http request. */
export function toEvent(req: IncomingMessage, body: Buffer): HttpEvent {
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
  });
}

/** A Lambda context for a local invocation of the function `name` (10 s left, as the stack's timeout). */
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

/** Call a handler with the request and write its result. */
export async function invoke(
  handler: LambdaHttpHandler,
  name: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readBody(req);
  const result = await handler(toEvent(req, body), lambdaContext(name));
  writeResult(res, result);
}

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
