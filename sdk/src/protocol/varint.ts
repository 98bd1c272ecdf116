import { DecodeError, ProtocolError } from "./errors.js";

/*
 * Variable-length integers, RFC 9000 §16, as draft-ietf-privacypass-batched-tokens §"Variable-Size Vector Length
 * Headers" uses them ("they differ only in that the one here requires a minimum-size encoding"):
 *
 *   2MSB  length  usable bits  range
 *   00    1       6            0-63
 *   01    2       14           0-16383
 *   10    4       30           0-1073741823
 *   11    8       62           0-4611686018427387903
 *
 * The value is big-endian in the remaining bits. A decoder here refuses any encoding longer than the shortest one.
 */

/** Largest value a variable-length integer can carry: 2^62 - 1. */
export const MAX_VARINT = (1n << 62n) - 1n;

/** A decoded variable-length integer and how many bytes it took. */
export interface DecodedVarint<T extends number | bigint> {
  value: T;
  length: 1 | 2 | 4 | 8;
}

/**
 * Number of bytes of the minimal encoding of `value` (1, 2, 4 or 8).
 *
 * @example
 * ```ts
 * varintLength(63); // 1
 * varintLength(64); // 2
 * ```
 */
export function varintLength(value: number | bigint): 1 | 2 | 4 | 8 {
  const v = checked(value);
  if (v <= 63) return 1;
  if (v <= 16383) return 2;
  if (v <= 1073741823) return 4;
  return 8;
}

/**
 * Minimal encoding of `value` (a non-negative safe integer, or a bigint up to 2^62 - 1). Throws
 * ProtocolError("ERR_ENCODE_VALUE") when out of range.
 *
 * @example
 * ```ts
 * encodeVarint(37); // 25
 * encodeVarint(15293); // 7b bd
 * ```
 */
export function encodeVarint(value: number | bigint): Uint8Array {
  const length = varintLength(value);
  const out = new Uint8Array(length);
  let rest = BigInt(value);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  out[0]! |= PREFIX[length];
  return out;
}

/**
 * Decode the variable-length integer at `offset` of `bytes` as a bigint (the whole 62-bit range). Respects
 * `byteOffset`; the rest of `bytes` after it is left to the caller. Throws DecodeError("ERR_DECODE_LENGTH") when
 * truncated and DecodeError("ERR_DECODE_VALUE") on a non-minimal encoding.
 *
 * @example
 * ```ts
 * decodeVarintBigInt(fromHex("c2197c5eff14e88c")); // { value: 151288809941952652n, length: 8 }
 * ```
 */
export function decodeVarintBigInt(bytes: Uint8Array, offset = 0): DecodedVarint<bigint> {
  const first = bytes[offset];
  if (first === undefined) throw new DecodeError("ERR_DECODE_LENGTH", "varint: truncated");
  const length = (1 << (first >> 6)) as 1 | 2 | 4 | 8;
  if (offset + length > bytes.length) throw new DecodeError("ERR_DECODE_LENGTH", "varint: truncated");
  let value = BigInt(first & 0x3f);
  for (let i = 1; i < length; i++) value = (value << 8n) | BigInt(bytes[offset + i]!);
  if (length !== 1 && varintLength(value) !== length) {
    throw new DecodeError("ERR_DECODE_VALUE", "varint: not the minimal encoding");
  }
  return { value, length };
}

/**
 * Decode the variable-length integer at `offset` as a number. Like {@link decodeVarintBigInt}, and also throws
 * DecodeError("ERR_DECODE_VALUE") when the value exceeds Number.MAX_SAFE_INTEGER (2^53 - 1). Lengths of vectors
 * use this form.
 *
 * @example
 * ```ts
 * const { value: listLength, length } = decodeVarint(bytes); // 0x4103 -> { value: 259, length: 2 }
 * ```
 */
export function decodeVarint(bytes: Uint8Array, offset = 0): DecodedVarint<number> {
  const first = bytes[offset];
  if (first !== undefined && first < 0xc0) {
    // 1, 2 or 4 bytes: at most 30 bits, exact in a number (no BigInt on the common path).
    const length = (1 << (first >> 6)) as 1 | 2 | 4;
    if (offset + length > bytes.length) throw new DecodeError("ERR_DECODE_LENGTH", "varint: truncated");
    let value = first & 0x3f;
    for (let i = 1; i < length; i++) value = value * 256 + bytes[offset + i]!;
    if (length !== 1 && varintLength(value) !== length) {
      throw new DecodeError("ERR_DECODE_VALUE", "varint: not the minimal encoding");
    }
    return { value, length };
  }
  const { value, length } = decodeVarintBigInt(bytes, offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new DecodeError("ERR_DECODE_VALUE", "varint: value beyond 2^53 - 1");
  }
  return { value: Number(value), length };
}

const PREFIX = { 1: 0x00, 2: 0x40, 4: 0x80, 8: 0xc0 } as const;

function checked(value: number | bigint): number | bigint {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ProtocolError("ERR_ENCODE_VALUE", "varint: not a non-negative safe integer");
    }
    return value;
  }
  if (value < 0n || value > MAX_VARINT)
    throw new ProtocolError("ERR_ENCODE_VALUE", "varint: out of 62-bit range");
  return value;
}
