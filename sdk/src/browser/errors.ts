/** Stable codes of {@link BrowserError}. */
export type BrowserErrorCode =
  | "POPUP_BLOCKED" // the browser refused to open the wallet (call prove() from a click)
  | "CANCELLED" // the person closed the wallet or declined
  | "NO_PROVIDER" // no verification provider is available
  | "WALLET_UNAVAILABLE" // the wallet did not answer in time
  | "UNDER_AGE" // the person's tokens do not reach the age asked
  | "PROOF_REFUSED"; // the site refused the token (spent, invalid, gateway down)

/**
 * The error of prove(), with a stable code to branch on.
 *
 * @example
 * ```ts
 * try { await prove({ minAge: 18, walletUrl }); } catch (e) { if (e instanceof BrowserError && e.code === "CANCELLED") ... }
 * ```
 */
export class BrowserError extends Error {
  override name = "BrowserError";
  constructor(
    readonly code: BrowserErrorCode,
    message: string,
  ) {
    super(message);
  }
}
