import { GatewayError } from "../errors.js";
import type { HttpEvent } from "./responses.js";

/*
 * Reading a request at the edge: headers, media type, bounded body, JSON, Bearer credential, method. Each refusal
 * is a GatewayError with a contract code (ERR_BODY_TOO_LARGE, ERR_MEDIA_TYPE, ERR_BAD_REQUEST, ERR_METHOD).
 */

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
    throw new GatewayError("ERR_BODY_TOO_LARGE", "request body too large");
  }
  const buffer = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  if (buffer.length > maxBytes) throw new GatewayError("ERR_BODY_TOO_LARGE", "request body too large");
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The JSON body: 415 ERR_MEDIA_TYPE unless application/json, 400 ERR_BAD_REQUEST unless it parses. */
export function jsonBody(event: HttpEvent, maxBytes: number): unknown {
  if (mediaType(event) !== "application/json") {
    throw new GatewayError("ERR_MEDIA_TYPE", "expected application/json");
  }
  const bytes = bodyBytes(event, maxBytes);
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new GatewayError("ERR_BAD_REQUEST", "body is not JSON");
  }
}

/** `Authorization: Bearer <credential>`; undefined when absent or of another scheme. */
export function bearer(event: HttpEvent): string | undefined {
  const value = header(event, "authorization");
  if (value === undefined) return undefined;
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)[ ]*$/i.exec(value);
  return match?.[1];
}

/** 405 ERR_METHOD unless the request's method is `method`. */
export function requireMethod(event: HttpEvent, method: string): void {
  if (event.requestContext?.http?.method?.toUpperCase() !== method) {
    throw new GatewayError("ERR_METHOD", `only ${method} is allowed`, { headers: { allow: method } });
  }
}
