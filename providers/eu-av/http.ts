import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { EuAvError } from "./errors.js";

/*
 * The few HTTP helpers of the provider's edge (API Gateway HTTP API v2 events). The provider is a deployable of
 * its own, so it does not reach into the gateway's functions/; these are small and have one user.
 */

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

const HEADERS = { "x-content-type-options": "nosniff", "cache-control": "no-store" };

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode: status,
    headers: { ...HEADERS, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

/** The media type of the request, lowercased, without parameters. */
export function mediaType(event: HttpEvent): string | undefined {
  for (const [k, v] of Object.entries(event.headers ?? {})) {
    if (k.toLowerCase() === "content-type") return v?.split(";")[0]?.trim().toLowerCase();
  }
  return undefined;
}

/** The body as bytes; ERR_BODY_TOO_LARGE over `maxBytes`. */
export function bodyBytes(event: HttpEvent, maxBytes: number): Uint8Array {
  const raw = event.body ?? "";
  if (raw.length > maxBytes * 2) throw new EuAvError("ERR_BODY_TOO_LARGE", "request body too large");
  const buffer = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  if (buffer.length > maxBytes) throw new EuAvError("ERR_BODY_TOO_LARGE", "request body too large");
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** One JSON log line; callers pass codes only, never presentations, grants, keys or addresses. */
export function log(level: "info" | "error", message: string, fields: Record<string, unknown> = {}): void {
  if (process.env.BLINDGATE_QUIET === "1") return;
  console[level](JSON.stringify({ level, message, ...fields }));
}
