import { concat, Reader, u16 } from "./bytes.js";
import { DecodeError, ProtocolError } from "./errors.js";

/*
 * RFC 9578 §6.1, the TokenRequest of token type 0x0002 (Blind RSA, 2048-bit):
 *
 *   struct {
 *       uint16_t token_type = 0x0002; // Type Blind RSA (2048-bit)
 *       uint8_t truncated_token_key_id;
 *       uint8_t blinded_msg[Nk];
 *   } TokenRequest;
 *
 * Nk = 256. Content type application/private-token-request.
 */

/** Token type of publicly verifiable tokens: Blind RSA (2048-bit), RFC 9578 §6. */
export const TOKEN_TYPE_BLIND_RSA = 0x0002;
/** Nk of token type 0x0002: the byte length of an RSA-2048 modulus, blinded message and signature. */
export const BLIND_RSA_NK = 256;
/** Byte length of a type 0x0002 TokenRequest: 2 + 1 + 256. */
export const BLIND_RSA_TOKEN_REQUEST_LENGTH = 2 + 1 + BLIND_RSA_NK;

function checkField(name: string, value: Uint8Array, length: number): void {
  if (value.length !== length)
    throw new ProtocolError("ERR_ENCODE_VALUE", `${name}: must be ${length} bytes`);
}

/**
 * A type 0x0002 TokenRequest.
 *
 * @example
 * ```ts
 * const request = TokenRequest.decode(body);          // 259 bytes
 * const bytes = new TokenRequest(0x2a, blindedMsg).encode();
 * ```
 */
export class TokenRequest {
  readonly tokenType = TOKEN_TYPE_BLIND_RSA;

  /** Throws ProtocolError("ERR_ENCODE_VALUE") for an id outside 0..255 or a blinded_msg that is not Nk bytes. */
  constructor(
    readonly truncatedTokenKeyId: number,
    readonly blindedMsg: Uint8Array,
  ) {
    if (!Number.isInteger(truncatedTokenKeyId) || truncatedTokenKeyId < 0 || truncatedTokenKeyId > 255) {
      throw new ProtocolError("ERR_ENCODE_VALUE", "truncated_token_key_id: must be a byte");
    }
    checkField("blinded_msg", blindedMsg, BLIND_RSA_NK);
  }

  /**
   * Decode exactly one TokenRequest. Throws DecodeError("ERR_DECODE_LENGTH" / "ERR_DECODE_TRAILING") on a wrong
   * length and DecodeError("ERR_UNSUPPORTED_TOKEN_TYPE") for a type other than 0x0002.
   */
  static decode(bytes: Uint8Array): TokenRequest {
    const reader = new Reader(bytes, "TokenRequest");
    const type = reader.u16();
    if (type !== TOKEN_TYPE_BLIND_RSA) {
      throw new DecodeError("ERR_UNSUPPORTED_TOKEN_TYPE", "TokenRequest: token_type is not 0x0002");
    }
    const truncated = reader.u8();
    const blindedMsg = reader.bytesN(BLIND_RSA_NK);
    reader.end();
    return new TokenRequest(truncated, blindedMsg);
  }

  /** The wire encoding (259 bytes). */
  encode(): Uint8Array<ArrayBuffer> {
    return concat(u16(this.tokenType), new Uint8Array([this.truncatedTokenKeyId]), this.blindedMsg);
  }
}
