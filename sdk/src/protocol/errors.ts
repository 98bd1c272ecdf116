/**
 * Stable error codes of the protocol core. A code never changes meaning once published; HTTP edges map them to
 * 4xx answers and clients may branch on them.
 */
export type ProtocolErrorCode =
  | "ERR_DECODE_LENGTH" // input shorter or longer than the structure allows
  | "ERR_DECODE_TRAILING" // bytes left after a complete structure
  | "ERR_DECODE_VALUE" // a field holds a value the structure does not allow
  | "ERR_UNSUPPORTED_TOKEN_TYPE"
  | "ERR_BASE64" // not (padded or unpadded) base64url
  | "ERR_HEADER_SYNTAX" // WWW-Authenticate / Authorization cannot be parsed
  | "ERR_DIRECTORY" // issuer directory JSON does not match RFC 9578 §4
  | "ERR_KEY" // a public or private key is malformed or of the wrong kind
  | "ERR_MESSAGE_TOO_LONG"
  | "ERR_INVALID_INPUT" // a value out of range for RSA (m >= n, not invertible, ...)
  | "ERR_SIGNATURE_FAULT" // the signer's output did not verify: possible fault, nothing is released
  | "ERR_VERIFY" // a signature or token does not verify
  | "ERR_UNKNOWN_KEY" // no known key matches a token's key id
  | "ERR_CHALLENGE_MISMATCH" // a token answers another challenge than the expected one
  | "ERR_ENCODE_VALUE" // a value handed to an encoder does not fit its field
  | "ERR_BATCH_TOO_LARGE" // a batched request or response holds more items than the caller allows
  | "ERR_ACT_DECODE" // an ACT wire struct, key or state is malformed (length, non-canonical scalar or point, identity)
  | "ERR_ACT_PROOF" // an ACT zero-knowledge proof (issuance, spend or refund) does not verify
  | "ERR_ACT_BALANCE" // an ACT spend asks for more credits than the credential holds
  | "ERR_ACT_AMOUNT" // an ACT credit amount does not fit in L bits, or a refund exceeds the spend
  | "ERR_ACT_NULLIFIER_REUSED" // an ACT spend reveals a nullifier that was already spent
  | "ERR_ACT_CONTEXT" // an ACT response answers another request context than the one expected
  | "ERR_ACT_PARAMS"; // ACT parameters out of range (empty domain separator, L outside 1..128)

/**
 * Base class for every error the protocol core throws. Decoders and parsers throw nothing else.
 *
 * @example
 * ```ts
 * try { Token.decode(bytes) } catch (e) { if (e instanceof ProtocolError) console.warn(e.code) }
 * ```
 */
export class ProtocolError extends Error {
  override name = "ProtocolError";
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A structure could not be decoded: wrong length, trailing bytes, or a forbidden field value. */
export class DecodeError extends ProtocolError {
  override name = "DecodeError";
}

/** A signature or token failed verification, or answers the wrong key or challenge. */
export class VerificationError extends ProtocolError {
  override name = "VerificationError";
}
