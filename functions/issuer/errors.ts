/**
 * Stable codes of the issuer's errors. Messages and causes never carry key material, blinded messages or
 * signatures: they are safe to log.
 */
export type IssuerErrorCode =
  | "ERR_BLINDED_MSG_LENGTH" // a blinded message that is not modulus_len bytes (client error)
  | "ERR_BLINDED_MSG_RANGE" // a blinded message m outside 0 < m < n (client error)
  | "ERR_SIGNATURE_FAULT" // RSASP1's output failed the RSAVP1 check: nothing is released (server error)
  | "ERR_PRIVATE_KEY" // a private key that is not an RSA key this signer can use (server error)
  | "ERR_SIGN"; // the private-key operation itself failed (server error)

/**
 * Base class of the issuer's errors (functions/issuer), with a stable code.
 *
 * @example
 * ```ts
 * try { signer.sign(blindedMsg) } catch (e) { if (e instanceof IssuerError && e.code === "ERR_BLINDED_MSG_RANGE") ... }
 * ```
 */
export class IssuerError extends Error {
  override name = "IssuerError";
  readonly code: IssuerErrorCode;
  constructor(code: IssuerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for errors caused by the client's input (a 4xx at the edge); false for the issuer's own faults. */
  get isClientError(): boolean {
    return this.code === "ERR_BLINDED_MSG_LENGTH" || this.code === "ERR_BLINDED_MSG_RANGE";
  }
}
