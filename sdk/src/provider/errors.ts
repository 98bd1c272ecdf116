/**
 * Stable error codes of the provider SDK. A code never changes meaning once published.
 */
export type ProviderErrorCode =
  | "INVALID_GRANT_INPUT" // signGrant got a claim set it refuses (unknown field, out-of-range value)
  | "INVALID_KEY" // a grant key is not an ES256 (P-256) key of the expected kind, or lacks a kid
  | "SIGN_FAILED" // the signature could not be produced (the cause says why; never the key)
  | "INVALID_GRANT_MESSAGE" // a grant or grant-error message for the wallet would not parse (bad state, grant, code)
  | "INVALID_WALLET_ORIGIN" // postToWallet was given something that is not an http(s) origin
  | "NO_WALLET" // postToWallet has no window to post to (the page was not opened by a wallet)
  | "NO_THRESHOLD_MET"; // intervalFromBirthDate: the person is younger than every threshold (sign no grant)

/**
 * Base class of every error the provider SDK throws. Messages name the offending field, never its value.
 *
 * @example
 * ```ts
 * try {
 *   await signGrant(key, input);
 * } catch (e) {
 *   if (e instanceof ProviderError && e.code === "INVALID_GRANT_INPUT") return badRequest();
 *   throw e;
 * }
 * ```
 */
export class ProviderError extends Error {
  override name = "ProviderError";
  readonly code: ProviderErrorCode;
  constructor(code: ProviderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
