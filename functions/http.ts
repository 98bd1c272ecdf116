import type middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/*
 * HTTP plumbing shared by the route handlers (API Gateway HTTP API v2 events): typed errors with stable codes,
 * JSON and binary answers, and the one middleware that turns any failure into a safe answer.
 */

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** An error the client caused (4xx) or a refusal, with a stable code. Messages never echo input bytes. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode: status,
    headers: { ...SECURITY_HEADERS, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

export function binary(
  status: number,
  bytes: Uint8Array,
  contentType: string,
  headers: Record<string, string> = {},
): HttpResult {
  return {
    statusCode: status,
    headers: { ...SECURITY_HEADERS, "content-type": contentType, ...headers },
    body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
    isBase64Encoded: true,
  };
}

export function errorResult(error: HttpError): HttpResult {
  return json(error.status, { error: { code: error.code, message: error.message } }, error.headers);
}

/** A header of the event (API Gateway v2 lowercases names; local callers may not). */
export function header(event: HttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** The media type of the request, lowercased, without parameters. */
export function mediaType(event: HttpEvent): string | undefined {
  return header(event, "content-type")?.split(";")[0]?.trim().toLowerCase();
}

/** The body as bytes, refusing bodies over `maxBytes` with 413 ERR_BODY_TOO_LARGE. */
export function bodyBytes(event: HttpEvent, maxBytes: number): Uint8Array {
  const raw = event.body ?? "";
  if ((event.isBase64Encoded ? (raw.length * 3) / 4 : raw.length) > maxBytes * 4) {
    throw new HttpError(413, "ERR_BODY_TOO_LARGE", "request body too large");
  }
  const buffer = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  if (buffer.length > maxBytes) throw new HttpError(413, "ERR_BODY_TOO_LARGE", "request body too large");
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The JSON body, or 400 ERR_BAD_REQUEST. */
export function jsonBody(event: HttpEvent, maxBytes: number): unknown {
  if (mediaType(event) !== "application/json") {
    throw new HttpError(415, "ERR_MEDIA_TYPE", "expected application/json");
  }
  const bytes = bodyBytes(event, maxBytes);
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, "ERR_BAD_REQUEST", "body is not JSON");
  }
}

/** `Authorization: Bearer <credential>`; undefined when absent or of another scheme. */
export function bearer(event: HttpEvent): string | undefined {
  const value = header(event, "authorization");
  if (value === undefined) return undefined;
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)[ ]*$/i.exec(value);
  return match?.[1];
}

export function requireMethod(event: HttpEvent, method: string): void {
  if (event.requestContext?.http?.method?.toUpperCase() !== method) {
    throw new HttpError(405, "ERR_METHOD", `only ${method} is allowed`, { allow: method });
  }
}

/** Structured log line; callers pass codes and counts, never tokens, grants, keys or addresses. */
export function log(level: "info" | "warn" | "error", message: string, fields: Record<string, unknown> = {}) {
  if (process.env.BLINDGATE_QUIET === "1") return;
  console[level](JSON.stringify({ level, message, ...fields }));
}

/**
 * The error boundary of every route: an HttpError becomes its JSON answer; anything else is logged by name only
 * and answered 500 with a generic body (no message, no stack, nothing from the input).
 */
export function httpErrors(): middy.MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: async (request) => {
      const error = request.error;
      if (error instanceof HttpError) {
        request.response = errorResult(error);
        return;
      }
      log("error", "unhandled error", { error: error instanceof Error ? error.name : typeof error });
      request.response = json(500, { error: { code: "ERR_INTERNAL", message: "internal error" } });
    },
  };
}

/**
 * A CloudWatch metric through the Embedded Metric Format: one log line, aggregated by CloudWatch, no extra
 * request on the hot path. Dimensions are identifiers only (a site id), never tokens, keys or addresses.
 */
export function metric(name: string, value: number, dimensions: Record<string, string>): void {
  if (process.env.BLINDGATE_QUIET === "1") return;
  console.log(
    JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: "blindgate",
            Dimensions: [Object.keys(dimensions)],
            Metrics: [{ Name: name, Unit: "Count" }],
          },
        ],
      },
      ...dimensions,
      [name]: value,
    }),
  );
}
