import { concat, Reader, u16 } from "./bytes.js";
import { DecodeError, ProtocolError } from "./errors.js";
import { BLIND_RSA_NK, TOKEN_TYPE_BLIND_RSA } from "./token-request.js";

/*
 * RFC 9577 §2.2, the Token, for token type 0x0002 (RFC 9578 §6.3):
 *
 *   struct {
 *       uint16_t token_type = 0x0002;
 *       uint8_t nonce[32];
 *       uint8_t challenge_digest[32];
 *       uint8_t token_key_id[32];
 *       uint8_t authenticator[Nk];
 *   } Token;
 *
 * The authenticator is an RSASSA-PSS signature over token_input = the fields before it (RFC 9578 §6.3).
 */

/** Length of the nonce, challenge_digest and token_key_id fields. */
export const TOKEN_FIELD_LENGTH = 32;
/** Length of the authenticator input of a type 0x0002 token: 2 + 32 + 32 + 32. */
export const TOKEN_AUTHENTICATOR_INPUT_LENGTH = 2 + 3 * TOKEN_FIELD_LENGTH;
/** Length of a type 0x0002 Token: 98 + 256. */
export const BLIND_RSA_TOKEN_LENGTH = TOKEN_AUTHENTICATOR_INPUT_LENGTH + BLIND_RSA_NK;

/** The fields of a Token. */
export interface TokenInit {
  nonce: Uint8Array;
  challengeDigest: Uint8Array;
  tokenKeyId: Uint8Array;
  authenticator: Uint8Array;
}

/**
 * A type 0x0002 Token.
 *
 * @example
 * ```ts
 * const token = Token.decode(fromBase64Url(parsed.token)); // 354 bytes
 * const input = token.authenticatorInput();                // what the authenticator signs
 * ```
 */
export class Token {
  readonly tokenType = TOKEN_TYPE_BLIND_RSA;
  /** The bytes this token was decoded from, when it was: its input and authenticator are views of them. */
  #encoded: Uint8Array | undefined;
  readonly nonce: Uint8Array;
  readonly challengeDigest: Uint8Array;
  readonly tokenKeyId: Uint8Array;
  readonly authenticator: Uint8Array;

  /** Throws ProtocolError("ERR_ENCODE_VALUE") for a field of the wrong length. */
  constructor(init: TokenInit) {
    for (const [name, value, length] of [
      ["nonce", init.nonce, TOKEN_FIELD_LENGTH],
      ["challenge_digest", init.challengeDigest, TOKEN_FIELD_LENGTH],
      ["token_key_id", init.tokenKeyId, TOKEN_FIELD_LENGTH],
      ["authenticator", init.authenticator, BLIND_RSA_NK],
    ] as const) {
      if (value.length !== length)
        throw new ProtocolError("ERR_ENCODE_VALUE", `${name}: must be ${length} bytes`);
    }
    this.nonce = init.nonce;
    this.challengeDigest = init.challengeDigest;
    this.tokenKeyId = init.tokenKeyId;
    this.authenticator = init.authenticator;
  }

  /**
   * Decode exactly one Token. Throws DecodeError("ERR_DECODE_LENGTH" / "ERR_DECODE_TRAILING") on a wrong length
   * and DecodeError("ERR_UNSUPPORTED_TOKEN_TYPE") for a type other than 0x0002.
   */
  static decode(bytes: Uint8Array): Token {
    const reader = new Reader(bytes, "Token");
    if (reader.u16() !== TOKEN_TYPE_BLIND_RSA) {
      throw new DecodeError("ERR_UNSUPPORTED_TOKEN_TYPE", "Token: token_type is not 0x0002");
    }
    const nonce = reader.bytesN(TOKEN_FIELD_LENGTH);
    const challengeDigest = reader.bytesN(TOKEN_FIELD_LENGTH);
    const tokenKeyId = reader.bytesN(TOKEN_FIELD_LENGTH);
    const authenticator = reader.bytesN(BLIND_RSA_NK);
    reader.end();
    const token = new Token({ nonce, challengeDigest, tokenKeyId, authenticator });
    token.#encoded = bytes.slice();
    return token;
  }

  /**
   * token_input = concat(token_type, nonce, challenge_digest, token_key_id): the message the authenticator signs
   * (RFC 9577 §2.2, RFC 9578 §6.3).
   */
  authenticatorInput(): Uint8Array {
    if (this.#encoded !== undefined) return this.#encoded.subarray(0, TOKEN_AUTHENTICATOR_INPUT_LENGTH);
    return concat(u16(this.tokenType), this.nonce, this.challengeDigest, this.tokenKeyId);
  }

  /** The wire encoding (354 bytes). */
  encode(): Uint8Array<ArrayBuffer> {
    if (this.#encoded !== undefined) return this.#encoded.slice();
    return concat(this.authenticatorInput(), this.authenticator);
  }
}
