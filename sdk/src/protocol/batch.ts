import { concat, u16 } from "./bytes.js";
import { DecodeError, ProtocolError } from "./errors.js";
import { decodeVarint, encodeVarint } from "./varint.js";

/*
 * draft-ietf-privacypass-batched-tokens, "Generic Token Batch Issuance":
 *
 *   struct {
 *       uint16_t token_type;
 *       select (token_type) {
 *           case (0x0001): TokenRequest token_request;   (RFC 9578 §5.1)
 *           case (0x0002): TokenRequest token_request;   (RFC 9578 §6.1)
 *       }
 *   } GenericTokenRequest;
 *
 *   struct {
 *       GenericTokenRequest generic_token_requests<V>;
 *   } GenericBatchTokenRequest
 *
 *   struct {
 *       uint16_t token_type;
 *       select (token_type) { case ...: TokenResponse token_response; }
 *   } GenericTokenResponse;
 *
 *   struct {
 *       optional<GenericTokenResponse> generic_token_response;
 *   } OptionalTokenResponse;                      (optional<T>: uint8 present (0 or 1), then T if 1)
 *
 *   struct {
 *       OptionalTokenResponse optional_token_responses<V>;
 *   } GenericBatchTokenResponse
 *
 * <V> is a byte length as a minimal variable-length integer (varint.ts). An RFC 9578 TokenRequest already begins
 * with its uint16 token_type, and that field is the GenericTokenRequest's token_type: on the wire a generic request
 * is exactly the RFC 9578 TokenRequest (the draft's vectors: 0x34 then 52 bytes of one type-1 TokenRequest).
 * A TokenResponse has no type of its own, so a present response is 0x01, token_type, TokenResponse.
 * An absent response (0x00) means the issuer failed or refused that request; the issuer answers 206 when some are
 * absent. A token type whose lengths this module does not know cannot be skipped over, so it is refused.
 */

/** Content type of a GenericBatchTokenRequest. */
export const GENERIC_BATCH_REQUEST_MEDIA_TYPE = "application/private-token-generic-batch-request";
/** Content type of a GenericBatchTokenResponse. */
export const GENERIC_BATCH_RESPONSE_MEDIA_TYPE = "application/private-token-generic-batch-response";

/** Byte length of an RFC 9578 TokenRequest, token_type included, by token type. */
export const TOKEN_REQUEST_LENGTH: Readonly<Record<number, number>> = Object.freeze({
  1: 2 + 1 + 49, // VOPRF(P-384, SHA-384): token_type, truncated_token_key_id, blinded_msg[Ne]
  2: 2 + 1 + 256, // Blind RSA (2048-bit): token_type, truncated_token_key_id, blinded_msg[Nk]
});

/** Byte length of an RFC 9578 TokenResponse (no token_type inside), by token type. */
export const TOKEN_RESPONSE_LENGTH: Readonly<Record<number, number>> = Object.freeze({
  1: 49 + 2 * 48, // evaluate_msg[Ne], evaluate_proof[Ns + Ns]
  2: 256, // blind_sig[Nk]
});

/** Default bound on the number of items in a batch a decoder accepts. */
export const DEFAULT_MAX_BATCH_ITEMS = 1024;

/** One TokenRequest of a batch: `request` is the whole RFC 9578 TokenRequest, starting with `tokenType`. */
export interface BatchRequestItem {
  tokenType: number;
  request: Uint8Array;
}

/** One issued TokenResponse of a batch (the RFC 9578 TokenResponse of `tokenType`). */
export interface BatchResponseItem {
  tokenType: number;
  response: Uint8Array;
}

/** Options of the batch decoders. */
export interface BatchDecodeOptions {
  /** Most items accepted; more throws ProtocolError("ERR_BATCH_TOO_LARGE") before any item is copied. */
  maxItems?: number;
}

/**
 * Encode a GenericBatchTokenRequest. Each `request` must be a whole TokenRequest of a known type, beginning with
 * its `tokenType`. Throws ProtocolError("ERR_ENCODE_VALUE") on an empty batch, a wrong length or a type mismatch.
 *
 * @example
 * ```ts
 * const body = encodeBatchRequest(requests.map((r) => ({ tokenType: 2, request: r.encode() })));
 * fetch(issuerRequestUri, { method: "POST", body, headers: { "Content-Type": GENERIC_BATCH_REQUEST_MEDIA_TYPE } });
 * ```
 */
export function encodeBatchRequest(items: readonly BatchRequestItem[]): Uint8Array {
  if (items.length === 0) throw new ProtocolError("ERR_ENCODE_VALUE", "batch request: no item");
  const parts: Uint8Array[] = [];
  for (const { tokenType, request } of items) {
    const length = TOKEN_REQUEST_LENGTH[tokenType];
    if (length === undefined)
      throw new ProtocolError("ERR_UNSUPPORTED_TOKEN_TYPE", "batch request: token type");
    if (request.length !== length) throw new ProtocolError("ERR_ENCODE_VALUE", "batch request: wrong length");
    if (((request[0]! << 8) | request[1]!) !== tokenType) {
      throw new ProtocolError("ERR_ENCODE_VALUE", "batch request: TokenRequest of another token type");
    }
    parts.push(request);
  }
  return withLength(parts);
}

/**
 * Decode a GenericBatchTokenRequest into copies of its TokenRequests. Respects `byteOffset`; throws DecodeError on
 * a bad length, trailing bytes or an empty batch, DecodeError("ERR_UNSUPPORTED_TOKEN_TYPE") on a token type of
 * unknown size, and ProtocolError("ERR_BATCH_TOO_LARGE") beyond `maxItems` (default 1024).
 *
 * @example
 * ```ts
 * const items = decodeBatchRequest(body, { maxItems: 100 });
 * for (const { tokenType, request } of items) if (tokenType === 2) TokenRequest.decode(request);
 * ```
 */
export function decodeBatchRequest(bytes: Uint8Array, options: BatchDecodeOptions = {}): BatchRequestItem[] {
  const maxItems = options.maxItems ?? DEFAULT_MAX_BATCH_ITEMS;
  const end = listEnd(bytes, "batch request");
  let offset = end.start;
  // No known TokenRequest is longer than 259 bytes: a body that must hold more than maxItems items is refused
  // before any item is read.
  if (end.end - offset > maxItems * Math.max(...Object.values(TOKEN_REQUEST_LENGTH))) tooLarge(maxItems);
  const items: BatchRequestItem[] = [];
  while (offset < end.end) {
    if (items.length >= maxItems) tooLarge(maxItems);
    const tokenType = readU16(bytes, offset, end.end, "batch request");
    const length = TOKEN_REQUEST_LENGTH[tokenType];
    if (length === undefined)
      throw new DecodeError("ERR_UNSUPPORTED_TOKEN_TYPE", "batch request: token type");
    if (offset + length > end.end)
      throw new DecodeError("ERR_DECODE_LENGTH", "batch request: truncated item");
    items.push({ tokenType, request: bytes.slice(offset, offset + length) });
    offset += length;
  }
  if (items.length === 0) throw new DecodeError("ERR_DECODE_VALUE", "batch request: no item");
  return items;
}

/**
 * Encode a GenericBatchTokenResponse: one entry per request, in request order, `null` where the issuer failed or
 * refused. An entry may be given as bare TokenResponse bytes: its token type is then read from its length (256:
 * 0x0002, 145: 0x0001; the known lengths all differ). Throws ProtocolError("ERR_ENCODE_VALUE") on an empty list or
 * a response of the wrong length.
 *
 * @example
 * ```ts
 * const body = encodeBatchResponse(results); // (Uint8Array | BatchResponseItem | null)[]
 * const status = results.some((r) => r === null) ? 206 : 200;
 * ```
 */
export function encodeBatchResponse(items: readonly (BatchResponseItem | Uint8Array | null)[]): Uint8Array {
  if (items.length === 0) throw new ProtocolError("ERR_ENCODE_VALUE", "batch response: no item");
  const parts: Uint8Array[] = [];
  for (const entry of items) {
    if (entry === null) {
      parts.push(ABSENT);
      continue;
    }
    const item = entry instanceof Uint8Array ? { tokenType: typeOfResponse(entry), response: entry } : entry;
    const length = TOKEN_RESPONSE_LENGTH[item.tokenType];
    if (length === undefined)
      throw new ProtocolError("ERR_UNSUPPORTED_TOKEN_TYPE", "batch response: token type");
    if (item.response.length !== length)
      throw new ProtocolError("ERR_ENCODE_VALUE", "batch response: wrong length");
    parts.push(PRESENT, u16(item.tokenType), item.response);
  }
  return withLength(parts);
}

/**
 * Decode a GenericBatchTokenResponse into copies of its TokenResponses, `null` for absent ones. Respects
 * `byteOffset`; throws DecodeError on a bad length, trailing bytes, an empty list or a presence octet other than 0
 * or 1, DecodeError("ERR_UNSUPPORTED_TOKEN_TYPE") on a token type of unknown size, and
 * ProtocolError("ERR_BATCH_TOO_LARGE") beyond `maxItems` (default 1024). The caller checks that entry i answers
 * request i (same count, same token type).
 *
 * @example
 * ```ts
 * const responses = decodeBatchResponse(new Uint8Array(await res.arrayBuffer()));
 * ```
 */
export function decodeBatchResponse(
  bytes: Uint8Array,
  options: BatchDecodeOptions = {},
): (BatchResponseItem | null)[] {
  const maxItems = options.maxItems ?? DEFAULT_MAX_BATCH_ITEMS;
  const end = listEnd(bytes, "batch response");
  let offset = end.start;
  if (end.end - offset > maxItems * (3 + Math.max(...Object.values(TOKEN_RESPONSE_LENGTH))))
    tooLarge(maxItems);
  const items: (BatchResponseItem | null)[] = [];
  while (offset < end.end) {
    if (items.length >= maxItems) tooLarge(maxItems);
    const present = bytes[offset++]!;
    if (present === 0) {
      items.push(null);
      continue;
    }
    if (present !== 1) throw new DecodeError("ERR_DECODE_VALUE", "batch response: presence octet not 0 or 1");
    const tokenType = readU16(bytes, offset, end.end, "batch response");
    offset += 2;
    const length = TOKEN_RESPONSE_LENGTH[tokenType];
    if (length === undefined)
      throw new DecodeError("ERR_UNSUPPORTED_TOKEN_TYPE", "batch response: token type");
    if (offset + length > end.end)
      throw new DecodeError("ERR_DECODE_LENGTH", "batch response: truncated item");
    items.push({ tokenType, response: bytes.slice(offset, offset + length) });
    offset += length;
  }
  if (items.length === 0) throw new DecodeError("ERR_DECODE_VALUE", "batch response: no item");
  return items;
}

/** The token type whose TokenResponse has this length. */
function typeOfResponse(response: Uint8Array): number {
  for (const [type, length] of Object.entries(TOKEN_RESPONSE_LENGTH))
    if (length === response.length) return Number(type);
  throw new ProtocolError(
    "ERR_ENCODE_VALUE",
    "batch response: no token type has a TokenResponse of this length",
  );
}

const ABSENT = new Uint8Array([0]);
const PRESENT = new Uint8Array([1]);

/** <V> vector: varint byte length, then the parts. */
function withLength(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  return concat(encodeVarint(length), ...parts);
}

/** Read the <V> length prefix and check it covers exactly the rest of `bytes`. */
function listEnd(bytes: Uint8Array, what: string): { start: number; end: number } {
  const { value, length } = decodeVarint(bytes, 0);
  const end = length + value;
  if (end > bytes.length) throw new DecodeError("ERR_DECODE_LENGTH", `${what}: truncated`);
  if (end < bytes.length) throw new DecodeError("ERR_DECODE_TRAILING", `${what}: trailing bytes`);
  return { start: length, end };
}

function readU16(bytes: Uint8Array, offset: number, end: number, what: string): number {
  if (offset + 2 > end) throw new DecodeError("ERR_DECODE_LENGTH", `${what}: truncated item`);
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

function tooLarge(maxItems: number): never {
  throw new ProtocolError("ERR_BATCH_TOO_LARGE", `batch holds more than ${maxItems} items`);
}
