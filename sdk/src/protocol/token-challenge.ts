import { equalBytes, Reader } from "./bytes.js";
import { DecodeError, ProtocolError } from "./errors.js";

/*
 * RFC 9577 §2.1.1, the default challenge structure:
 *
 *   struct {
 *       uint16_t token_type;
 *       opaque issuer_name<1..2^16-1>;
 *       opaque redemption_context<0..32>;
 *       opaque origin_info<0..2^16-1>;
 *   } TokenChallenge;
 *
 * - issuer_name: an ASCII server name (RFC 9577 §2.1.1.1: the authority of a URI, host and optional port,
 *   never a userinfo part).
 * - redemption_context: either empty or exactly 32 bytes, after a one-octet length.
 * - origin_info: an ASCII string, empty (cross-origin) or one or more server names "delimited with commas ','
 *   without any whitespace".
 */

/** Length of a non-empty redemption_context (RFC 9577 §2.1.1). */
export const REDEMPTION_CONTEXT_LENGTH = 32;

const MAX_VECTOR_16 = 0xffff;

/**
 * A server name as RFC 9577 §2.1.1.1 allows it: the authority of a URI (RFC 3986 §3.2) without userinfo, so
 * unreserved, percent-encoded, sub-delims, ':' (port) and '[' ']' (IP literal). ',' is left out: origin_info uses it
 * as the list separator, so no name can contain it. Everything here is ASCII, so bytes and UTF-16 units coincide.
 */
const SERVER_NAME = /^[A-Za-z0-9\-._~%!$&'()*+;=:[\]]+$/;

/** True when `name` is a server name RFC 9577 allows in issuer_name and origin_info. */
export function isServerName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_VECTOR_16 && SERVER_NAME.test(name);
}

/** The fields of a TokenChallenge; `redemptionContext` and `originInfo` default to empty (cross-origin). */
export interface TokenChallengeInit {
  tokenType: number;
  issuerName: string;
  redemptionContext?: Uint8Array;
  originInfo?: readonly string[];
}

/**
 * A Privacy Pass TokenChallenge (RFC 9577 §2.1). Immutable; the constructor checks every field, so an instance
 * always encodes to a valid structure.
 *
 * @example
 * ```ts
 * const challenge = TokenChallenge.crossOrigin("issuer.example");
 * const bytes = challenge.encode();
 * const again = TokenChallenge.decode(bytes); // again.equals(challenge) === true
 * const digest = await challenge.digest(); // challenge_digest for the Token
 * ```
 */
export class TokenChallenge {
  readonly tokenType: number;
  readonly issuerName: string;
  readonly redemptionContext: Uint8Array;
  readonly originInfo: readonly string[];

  constructor(init: TokenChallengeInit) {
    const { tokenType, issuerName } = init;
    const redemptionContext = init.redemptionContext ?? new Uint8Array(0);
    const originInfo = init.originInfo ?? [];
    if (!Number.isInteger(tokenType) || tokenType < 0 || tokenType > 0xffff) {
      throw new ProtocolError(
        "ERR_ENCODE_VALUE",
        "TokenChallenge: token_type must be an integer in 0..65535",
      );
    }
    if (!isServerName(issuerName)) {
      throw new ProtocolError("ERR_ENCODE_VALUE", "TokenChallenge: issuer_name is not a server name");
    }
    if (redemptionContext.length !== 0 && redemptionContext.length !== REDEMPTION_CONTEXT_LENGTH) {
      throw new ProtocolError("ERR_ENCODE_VALUE", "TokenChallenge: redemption_context must be 0 or 32 bytes");
    }
    for (const name of originInfo) {
      if (!isServerName(name)) {
        throw new ProtocolError(
          "ERR_ENCODE_VALUE",
          "TokenChallenge: origin_info holds an invalid server name",
        );
      }
    }
    if (originInfo.join(",").length > MAX_VECTOR_16) {
      throw new ProtocolError("ERR_ENCODE_VALUE", "TokenChallenge: origin_info longer than 65535 bytes");
    }
    this.tokenType = tokenType;
    this.issuerName = issuerName;
    this.redemptionContext = redemptionContext.slice();
    this.originInfo = Object.freeze([...originInfo]);
  }

  /**
   * A cross-origin challenge (empty redemption_context and origin_info): blindgate's default for pre-issued tokens.
   *
   * @example
   * ```ts
   * const challenge = TokenChallenge.crossOrigin("gateway.example"); // token type 0x0002
   * ```
   */
  static crossOrigin(issuerName: string, tokenType = 2): TokenChallenge {
    return new TokenChallenge({ tokenType, issuerName });
  }

  /** True when origin_info is empty: a token for this challenge may be redeemed at any origin. */
  get isCrossOrigin(): boolean {
    return this.originInfo.length === 0;
  }

  /**
   * The wire encoding (RFC 9577 §2.1.1).
   *
   * @example
   * ```ts
   * const bytes = TokenChallenge.crossOrigin("issuer.example").encode(); // 00 02 00 0e "issuer.example" 00 00 00
   * ```
   */
  encode(): Uint8Array<ArrayBuffer> {
    const origins = this.originInfo.join(",");
    const out = new Uint8Array(
      2 + 2 + this.issuerName.length + 1 + this.redemptionContext.length + 2 + origins.length,
    );
    let o = 0;
    // uint16_t token_type;
    out[o++] = this.tokenType >> 8;
    out[o++] = this.tokenType & 0xff;
    // opaque issuer_name<1..2^16-1>;
    o = writeAscii16(out, o, this.issuerName);
    // opaque redemption_context<0..32>;
    out[o++] = this.redemptionContext.length;
    out.set(this.redemptionContext, o);
    o += this.redemptionContext.length;
    // opaque origin_info<0..2^16-1>;
    writeAscii16(out, o, origins);
    return out;
  }

  /**
   * Decode a TokenChallenge. Respects `byteOffset` (a subarray of a larger buffer decodes like a copy) and rejects
   * trailing bytes, a redemption_context of any length but 0 or 32, and names that are not ASCII server names.
   * Throws DecodeError only.
   *
   * @example
   * ```ts
   * const challenge = TokenChallenge.decode(fromBase64Url(param));
   * ```
   */
  static decode(bytes: Uint8Array): TokenChallenge {
    const r = new Reader(bytes, "TokenChallenge");
    const tokenType = r.u16();
    const issuerBytes = r.vec(2);
    const redemptionContext = r.vec(1);
    const originBytes = r.vec(2);
    r.end();
    if (issuerBytes.length === 0)
      throw new DecodeError("ERR_DECODE_LENGTH", "TokenChallenge: empty issuer_name");
    if (redemptionContext.length !== 0 && redemptionContext.length !== REDEMPTION_CONTEXT_LENGTH) {
      throw new DecodeError("ERR_DECODE_LENGTH", "TokenChallenge: redemption_context must be 0 or 32 bytes");
    }
    const issuerName = readAscii(issuerBytes);
    if (!isServerName(issuerName)) {
      throw new DecodeError("ERR_DECODE_VALUE", "TokenChallenge: issuer_name is not a server name");
    }
    const origins = readAscii(originBytes);
    const originInfo = origins.length === 0 ? [] : origins.split(",");
    if (!originInfo.every(isServerName)) {
      throw new DecodeError(
        "ERR_DECODE_VALUE",
        "TokenChallenge: origin_info is not a comma-separated name list",
      );
    }
    return new TokenChallenge({ tokenType, issuerName, redemptionContext, originInfo });
  }

  /**
   * challenge_digest = SHA-256(TokenChallenge) (RFC 9577 §2.2), through WebCrypto.
   *
   * @example
   * ```ts
   * const challengeDigest = await challenge.digest(); // 32 bytes
   * ```
   */
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", this.encode()));
  }

  /** True when both challenges encode to the same bytes. */
  equals(other: TokenChallenge): boolean {
    return equalBytes(this.encode(), other.encode());
  }

  /**
   * True when a token for this challenge may be redeemed at `origin` (RFC 9577 §2.1.1.3: empty origin_info, or a
   * case-insensitive match of one listed name).
   */
  allowsOrigin(origin: string): boolean {
    if (this.isCrossOrigin) return true;
    const wanted = origin.toLowerCase();
    return this.originInfo.some((name) => name.toLowerCase() === wanted);
  }
}

/** Write a 2-byte length then the ASCII bytes of `text` (already checked to be ASCII); returns the new offset. */
function writeAscii16(out: Uint8Array, offset: number, text: string): number {
  let o = offset;
  out[o++] = text.length >> 8;
  out[o++] = text.length & 0xff;
  for (let i = 0; i < text.length; i++) out[o++] = text.charCodeAt(i);
  return o;
}

/** ASCII bytes to a string; any byte above 0x7f is a DecodeError (RFC 9577 names are ASCII). */
function readAscii(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) {
    if (b > 0x7f) throw new DecodeError("ERR_DECODE_VALUE", "TokenChallenge: name is not ASCII");
    s += String.fromCharCode(b);
  }
  return s;
}
