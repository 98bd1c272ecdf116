import { concat } from "../bytes.js";
import { DecodeError } from "../errors.js";

/*
 * The little DER (ITU-T X.690) that RSA SubjectPublicKeyInfo needs: single-byte tags, definite minimal lengths,
 * minimal non-negative INTEGERs. Every failure is DecodeError("ERR_KEY"): a key is malformed or of the wrong kind.
 */

export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_NULL = 0x05;
export const TAG_OID = 0x06;
export const TAG_SEQUENCE = 0x30;

/** A cursor over DER bytes (respects byteOffset; never reads past its view). */
export class DerReader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset === this.bytes.length;
  }

  /** The next element's whole encoding (tag, length and content), checking its tag. */
  element(tag: number): { content: Uint8Array; tlv: Uint8Array } {
    const start = this.offset;
    if (this.byte() !== tag) throw new DecodeError("ERR_KEY", "DER: unexpected tag");
    const first = this.byte();
    let length = first;
    if (first & 0x80) {
      const count = first & 0x7f;
      // Indefinite lengths (0x80) are BER, not DER; four length bytes is far beyond any RSA key.
      if (count === 0 || count > 3) throw new DecodeError("ERR_KEY", "DER: unsupported length");
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + this.byte();
      // DER: the shortest form only.
      if (length < 0x80 || length < 2 ** (8 * (count - 1))) {
        throw new DecodeError("ERR_KEY", "DER: non-minimal length");
      }
    }
    if (this.offset + length > this.bytes.length) throw new DecodeError("ERR_KEY", "DER: truncated");
    const content = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return { content, tlv: this.bytes.subarray(start, this.offset) };
  }

  /** Throws unless every byte has been read. */
  end(): void {
    if (!this.done) throw new DecodeError("ERR_KEY", "DER: trailing bytes");
  }

  private byte(): number {
    if (this.offset >= this.bytes.length) throw new DecodeError("ERR_KEY", "DER: truncated");
    return this.bytes[this.offset++]!;
  }
}

/** The content of a minimal, non-negative, non-zero DER INTEGER as a bigint. */
export function derPositiveInteger(content: Uint8Array): bigint {
  if (content.length === 0) throw new DecodeError("ERR_KEY", "DER: empty INTEGER");
  if (content[0]! & 0x80) throw new DecodeError("ERR_KEY", "DER: negative INTEGER");
  if (content.length > 1 && content[0] === 0 && !(content[1]! & 0x80)) {
    throw new DecodeError("ERR_KEY", "DER: non-minimal INTEGER");
  }
  let hex = "0x0";
  for (const b of content) hex += b.toString(16).padStart(2, "0");
  const value = BigInt(hex);
  if (value === 0n) throw new DecodeError("ERR_KEY", "DER: zero INTEGER");
  return value;
}

/** DER encoding of one element. */
export function derEncode(tag: number, ...content: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const body = concat(...content);
  const n = body.length;
  let header: number[];
  if (n < 0x80) header = [tag, n];
  else if (n < 0x100) header = [tag, 0x81, n];
  else if (n < 0x10000) header = [tag, 0x82, n >> 8, n & 0xff];
  else header = [tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concat(new Uint8Array(header), body) as Uint8Array<ArrayBuffer>;
}

/** DER INTEGER of a positive bigint (a 0x00 byte in front when the top bit is set). */
export function derInteger(value: bigint): Uint8Array<ArrayBuffer> {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return derEncode(TAG_INTEGER, bytes);
}
