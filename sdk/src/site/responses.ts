import { GateError } from "./errors.js";

/*
 * HTTP mapping of the gate, in one place: a GateError becomes its status and
 * `{ "error": { "code", "message" } }`; below 500 the message is the error's own (it never carries input bytes),
 * at 500 and above it is generic. Every answer of the gate is private and not stored by caches.
 */

/** Headers every gate answer carries. */
export const NO_STORE = "private, no-store";

/**
 * The JSON error response for a GateError (or for any other thrown value, as INTERNAL).
 *
 * @example
 * ```ts
 * return errorResponse(new GateError("ERR_BAD_REQUEST", "proof: body is not JSON"));
 * ```
 */
export function errorResponse(
  error: unknown,
  init: { status?: number; headers?: HeadersInit } = {},
): Response {
  const gateError = toGateError(error);
  const status = init.status ?? gateError.status;
  const message = status >= 500 ? "the age check is unavailable, try again later" : gateError.message;
  const headers = new Headers(init.headers);
  headers.set("Content-Type", "application/json");
  headers.set("Cache-Control", NO_STORE);
  return new Response(JSON.stringify({ error: { code: gateError.code, message } }), { status, headers });
}

/**
 * A 200 JSON response with no-store caching.
 *
 * @example
 * ```ts
 * return jsonResponse({ ok: true, ageOver: 18 });
 * ```
 */
export function jsonResponse(body: unknown, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("Content-Type", "application/json");
  h.set("Cache-Control", NO_STORE);
  return new Response(JSON.stringify(body), { status: 200, headers: h });
}

/**
 * Any thrown value as a GateError: GateErrors pass through, anything else is INTERNAL with the original as cause.
 *
 * @example
 * ```ts
 * const e = toGateError(new Error("boom")); // e.code === "ERR_INTERNAL"
 * ```
 */
export function toGateError(error: unknown): GateError {
  if (error instanceof GateError) return error;
  return new GateError("ERR_INTERNAL", "age gate: unexpected fault", { cause: error });
}
