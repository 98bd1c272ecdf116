import * as z from "zod/mini";
import { fromBase64Url } from "../protocol/index.js";
import { GateError } from "./errors.js";

/*
 * The proof endpoint's request, as the browser part sends it:
 *
 *   POST <proofPath>
 *   Content-Type: application/json
 *   { "token": "<base64url Token>" }
 *
 * Parsed strictly: POST only, JSON only (a cross-site page cannot send it without a CORS preflight), no body
 * over MAX_PROOF_BODY bytes, exactly one field. Sec-Fetch-Site: cross-site is refused outright, so another site
 * cannot plant an age session in the person's browser.
 */

/** Default path of the proof endpoint. */
export const DEFAULT_PROOF_PATH = "/.well-known/blindgate/proof";
/** Largest proof body read, in bytes (a type 0x0002 token is 472 base64url characters). */
export const MAX_PROOF_BODY = 2048;

const proofBody = z.strictObject({
  token: z.string().check(z.minLength(1), z.maxLength(1024), z.regex(/^[A-Za-z0-9_-]+={0,2}$/)),
});

/**
 * The token bytes of a proof request. Throws GateError: METHOD_NOT_ALLOWED, CROSS_SITE, BAD_REQUEST or
 * MALFORMED_TOKEN.
 *
 * @example
 * ```ts
 * const token = await readProofRequest(request);
 * ```
 */
export async function readProofRequest(request: Request): Promise<Uint8Array> {
  if (request.method !== "POST") throw new GateError("ERR_METHOD_NOT_ALLOWED", "proof: POST only");
  if (request.headers.get("Sec-Fetch-Site")?.toLowerCase() === "cross-site") {
    throw new GateError("ERR_CROSS_SITE", "proof: refused from another site");
  }
  const type = request.headers.get("Content-Type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new GateError("ERR_BAD_REQUEST", "proof: Content-Type must be application/json");
  }
  const text = await readLimited(request, MAX_PROOF_BODY);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new GateError("ERR_BAD_REQUEST", "proof: body is not JSON", { cause });
  }
  const parsed = proofBody.safeParse(json);
  if (!parsed.success) {
    throw new GateError("ERR_BAD_REQUEST", 'proof: body must be { "token": base64url }', {
      cause: parsed.error,
    });
  }
  try {
    return fromBase64Url(parsed.data.token);
  } catch (cause) {
    throw new GateError("ERR_MALFORMED_TOKEN", "proof: token is not base64url", { cause });
  }
}

/** The body as UTF-8 text, reading at most `max` bytes; BAD_REQUEST beyond that or on a broken stream. */
async function readLimited(request: Request, max: number): Promise<string> {
  const declared = request.headers.get("Content-Length");
  if (declared !== null && !(/^[0-9]{1,10}$/.test(declared) && Number(declared) <= max)) {
    throw new GateError("ERR_BAD_REQUEST", "proof: body too large");
  }
  if (request.body === null) throw new GateError("ERR_BAD_REQUEST", "proof: empty body");
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.length;
      if (length > max) {
        await reader.cancel().catch(() => undefined);
        throw new GateError("ERR_BAD_REQUEST", "proof: body too large");
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof GateError) throw cause;
    throw new GateError("ERR_BAD_REQUEST", "proof: body cannot be read", { cause });
  }
  const all = new Uint8Array(length);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch (cause) {
    throw new GateError("ERR_BAD_REQUEST", "proof: body is not UTF-8", { cause });
  }
}
