import { Reader } from "./bytes.js";
import { ProtocolError } from "./errors.js";
import { BLIND_RSA_NK } from "./token-request.js";

/*
 * RFC 9578 §6.2, the TokenResponse of token type 0x0002:
 *
 *   struct {
 *       uint8_t blind_sig[Nk];
 *   } TokenResponse;
 *
 * Nk = 256. Content type application/private-token-response.
 */

/**
 * A type 0x0002 TokenResponse: the issuer's blind signature.
 *
 * @example
 * ```ts
 * const response = TokenResponse.decode(body); // 256 bytes
 * const bytes = new TokenResponse(blindSig).encode();
 * ```
 */
export class TokenResponse {
  /** Throws ProtocolError("ERR_ENCODE_VALUE") for a blind_sig that is not Nk bytes. */
  constructor(readonly blindSig: Uint8Array) {
    if (blindSig.length !== BLIND_RSA_NK) {
      throw new ProtocolError("ERR_ENCODE_VALUE", `blind_sig: must be ${BLIND_RSA_NK} bytes`);
    }
  }

  /** Decode exactly one TokenResponse; DecodeError("ERR_DECODE_LENGTH" / "ERR_DECODE_TRAILING") otherwise. */
  static decode(bytes: Uint8Array): TokenResponse {
    const reader = new Reader(bytes, "TokenResponse");
    const blindSig = reader.bytesN(BLIND_RSA_NK);
    reader.end();
    return new TokenResponse(blindSig);
  }

  /** The wire encoding (256 bytes, a copy). */
  encode(): Uint8Array<ArrayBuffer> {
    return this.blindSig.slice();
  }
}
