import { DecodeError, ProtocolError } from "./errors.js";

/** Concatenate byte arrays into one new array. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Constant-time equality for byte arrays of equal length; false when lengths differ. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex of a byte array. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

/** Bytes of a hex string (an optional 0x prefix is accepted); throws DecodeError on odd length or non-hex. */
export function fromHex(hex: string): Uint8Array {
  const h = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) {
    throw new DecodeError("ERR_DECODE_VALUE", "invalid hex string");
  }
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64URL_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64URL.length; i++) B64URL_INDEX[B64URL.charCodeAt(i)] = i;

/** base64url of bytes; padded with '=' when `pad` is true (RFC 9577 header values are padded). */
export function toBase64Url(bytes: Uint8Array, pad = false): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + (pad ? "==" : "");
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + (pad ? "=" : "");
  }
  return out;
}

/**
 * Bytes of a base64url string, padded or not. Standard-alphabet '+' and '/' are refused: RFC 9577 says base64url.
 * Throws ProtocolError("ERR_BASE64") on any other character, a wrong padding, or non-zero trailing bits.
 */
export function fromBase64Url(text: string): Uint8Array {
  let s = text;
  const firstPad = s.indexOf("=");
  if (firstPad !== -1) {
    const padding = s.slice(firstPad);
    if (!/^={1,2}$/.test(padding) || s.length % 4 !== 0)
      throw new ProtocolError("ERR_BASE64", "invalid base64url padding");
    s = s.slice(0, firstPad);
  }
  if (s.length % 4 === 1) throw new ProtocolError("ERR_BASE64", "invalid base64url length");
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64URL_INDEX[c]! : -1;
    if (v < 0) throw new ProtocolError("ERR_BASE64", "invalid base64url character");
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0)
    throw new ProtocolError("ERR_BASE64", "non-canonical base64url");
  return out;
}

/**
 * A cursor over a byte array that never reads past its view and respects `byteOffset` (a subarray of a pooled
 * Buffer decodes the same as a copy). Every read failure is a DecodeError.
 */
export class Reader {
  private offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  u16(): number {
    this.need(2);
    const v = (this.bytes[this.offset]! << 8) | this.bytes[this.offset + 1]!;
    this.offset += 2;
    return v;
  }

  /** Exactly n bytes, as a copy (decoded structs never alias the caller's buffer). */
  bytesN(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** A vector with a 1- or 2-byte big-endian length prefix (TLS presentation language `opaque x<0..2^8-1>`). */
  vec(lengthBytes: 1 | 2): Uint8Array {
    const n = lengthBytes === 1 ? this.u8() : this.u16();
    return this.bytesN(n);
  }

  /** Throws unless every byte has been read. */
  end(): void {
    if (this.offset !== this.bytes.length) {
      throw new DecodeError("ERR_DECODE_TRAILING", `${this.what}: ${this.remaining} trailing bytes`);
    }
  }

  private need(n: number): void {
    if (this.offset + n > this.bytes.length) {
      throw new DecodeError("ERR_DECODE_LENGTH", `${this.what}: truncated`);
    }
  }
}

/** Big-endian 2-byte encoding of a number in 0..65535. */
export function u16(n: number): Uint8Array {
  return new Uint8Array([(n >> 8) & 0xff, n & 0xff]);
}
