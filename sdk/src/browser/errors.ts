/** Stable codes of {@link BrowserError}. */
export type BrowserErrorCode =
  | "POPUP_BLOCKED" // the browser refused to open the wallet (call prove() from a click)
  | "NOT_PROVEN" // no proof: the person declined or closed the wallet, or their age does not fit (one code for all)
  | "REPLACED" // a newer prove() on this page took over (the person clicked again): that one reports
  | "NO_PROVIDER" // no verification provider is available
  | "WALLET_UNAVAILABLE" // the wallet did not answer in time, or could not reach its gateway
  | "PROOF_REFUSED" // the site refused the token (spent, invalid...): `siteCode` says why
  | "SITE_UNAVAILABLE"; // the site's proof endpoint could not check the token (down, gateway down): the wallet kept it

/**
 * The error of prove(), with a stable code to branch on. For PROOF_REFUSED and SITE_UNAVAILABLE, `siteCode` is
 * the code the site's proof endpoint answered (`TOKEN_REJECTED`, `GATEWAY_UNAVAILABLE`...), `NETWORK` when it
 * could not be reached.
 *
 * @example
 * ```ts
 * try { await prove({ minAge: 18, walletUrl }); } catch (e) { if (e instanceof BrowserError && e.code === "NOT_PROVEN") ... }
 * ```
 */
export class BrowserError extends Error {
  override name = "BrowserError";
  constructor(
    readonly code: BrowserErrorCode,
    message: string,
    readonly siteCode?: string,
  ) {
    super(message);
  }
}
