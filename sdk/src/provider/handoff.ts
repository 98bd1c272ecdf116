import {
  type GrantErrorMessage,
  type GrantMessage,
  grantError,
  grantFragment,
  grantMessage,
} from "../browser/messages.js";
import { ProviderError } from "./errors.js";

/*
 * Handing a grant back to the wallet (docs/provider-guide.md, "Hand the grant back to the wallet"). The wallet opens
 * the provider's page with `wallet_origin`, `wallet_return` (its return page, on that origin) and `state`, and with no
 * opener: the provider's page cannot reach the wallet's window, nor through it the site's that opened the wallet. The
 * page answers once:
 *
 *   { type: "blindgate:grant", state, grant }            the check succeeded
 *   { type: "blindgate:grant-error", state, code }       refused (UNDER_AGE, ...) or cancelled
 *
 * by navigating to `walletReturnUrl(...)`: the wallet's return page, with the answer in the URL fragment (a fragment
 * is never sent to a server), which hands it to the waiting wallet window. A wallet of an older version (no
 * `wallet_return`) opened the page with an opener: `postToWallet(window.opener, ...)` answers it.
 *
 * These are the schemas the wallet parses (the same objects `@blindgate/sdk/browser` exports), so a message built
 * here is one the wallet accepts.
 */

export type { GrantErrorMessage, GrantMessage };
export { grantError, grantMessage };

/** A window (or anything) that can receive a message: `window.opener` in a provider page. */
export interface MessageTarget {
  postMessage(message: unknown, targetOrigin: string): void;
}

/**
 * The message carrying a grant to the wallet. Throws ProviderError("INVALID_GRANT_MESSAGE") naming the field when
 * `state` is not 8-128 base64url characters or `grant` is not a compact JWT of at most 4096 characters.
 *
 * @example
 * ```ts
 * const message = grantMessageFor(state, await signGrant(key, input));
 * res.json({ walletOrigin, message }); // the page posts it with postToWallet
 * ```
 */
export function grantMessageFor(state: string, grant: string): GrantMessage {
  const parsed = grantMessage.safeParse({ type: "blindgate:grant", state, grant });
  if (!parsed.success) throw invalid(parsed.error.issues[0]?.path[0]);
  return parsed.data;
}

/**
 * The message telling the wallet that no grant comes. `code` is upper-case letters and underscores, 1-32 long;
 * use `UNDER_AGE` when the person is under every threshold (the wallet tells the site so).
 *
 * @example
 * ```ts
 * postToWallet(window.opener, walletOrigin, grantErrorFor(state, "UNDER_AGE"));
 * ```
 */
export function grantErrorFor(state: string, code: string): GrantErrorMessage {
  const parsed = grantError.safeParse({ type: "blindgate:grant-error", state, code });
  if (!parsed.success) throw invalid(parsed.error.issues[0]?.path[0]);
  return parsed.data;
}

/**
 * Post a grant (or grant error) message to the wallet window, with `walletOrigin` as the target origin, so the
 * browser delivers it to the wallet and to no other page. Refuses (ProviderError "INVALID_WALLET_ORIGIN") anything
 * that is not a plain origin (`*`, a path, `null`), and ("NO_WALLET") when there is no window to post to (the page
 * was not opened by the wallet). Check `walletOrigin` against your allow-list before you get here.
 *
 * @example
 * ```ts
 * import { grantMessageFor, postToWallet } from "@blindgate/sdk/provider";
 *
 * postToWallet(window.opener, walletOrigin, grantMessageFor(state, grant));
 * window.close();
 * ```
 */
export function postToWallet(
  target: MessageTarget | null | undefined,
  walletOrigin: string,
  message: GrantMessage | GrantErrorMessage,
): void {
  if (!isOrigin(walletOrigin)) {
    throw new ProviderError("INVALID_WALLET_ORIGIN", "postToWallet: walletOrigin must be an http(s) origin");
  }
  const valid = grantMessage.safeParse(message).success || grantError.safeParse(message).success;
  if (!valid)
    throw new ProviderError("INVALID_GRANT_MESSAGE", "postToWallet: not a grant or grant-error message");
  if (target === null || target === undefined) {
    throw new ProviderError(
      "NO_WALLET",
      "postToWallet: no wallet window (this page was not opened by a wallet)",
    );
  }
  target.postMessage(message, walletOrigin);
}

/**
 * Where the provider's page sends the person back with its answer: the wallet's return page (`wallet_return`, which
 * must be on `walletOrigin`, the origin you checked against your allow-list) with the message in the URL fragment.
 * Throws ProviderError "INVALID_WALLET_ORIGIN" when `walletOrigin` is not a plain origin or `walletReturn` is not a
 * URL on it, "INVALID_GRANT_MESSAGE" when the message is not one the wallet accepts.
 *
 * @example
 * ```ts
 * import { grantMessageFor, walletReturnUrl } from "@blindgate/sdk/provider";
 *
 * const back = walletReturnUrl(query.wallet_return, walletOrigin, grantMessageFor(state, grant));
 * // in the page: location.replace(back)
 * ```
 */
export function walletReturnUrl(
  walletReturn: string,
  walletOrigin: string,
  message: GrantMessage | GrantErrorMessage,
): string {
  if (!isOrigin(walletOrigin) || !isOnOrigin(walletReturn, walletOrigin)) {
    throw new ProviderError(
      "INVALID_WALLET_ORIGIN",
      "walletReturnUrl: wallet_return must be an http(s) URL on the wallet's origin",
    );
  }
  const valid = grantMessage.safeParse(message).success || grantError.safeParse(message).success;
  if (!valid)
    throw new ProviderError("INVALID_GRANT_MESSAGE", "walletReturnUrl: not a grant or grant-error message");
  const url = new URL(walletReturn);
  url.hash = grantFragment(message);
  return url.href;
}

/**
 * Whether `url` is an http(s) URL on `origin` (the check a provider makes on `wallet_return`).
 *
 * @example
 * ```ts
 * isOnOrigin("https://gateway.example/wallet/return.html", "https://gateway.example"); // true
 * ```
 */
export function isOnOrigin(url: string, origin: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === "https:" || parsed.protocol === "http:") && parsed.origin === origin;
  } catch {
    return false;
  }
}

/**
 * Whether `value` is exactly an http(s) origin (scheme, host, optional port; no path, no trailing slash).
 *
 * @example
 * ```ts
 * isOrigin("https://wallet.gateway.example"); // true
 * isOrigin("*"); // false
 * ```
 */
export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.origin === value;
  } catch {
    return false;
  }
}

function invalid(field: PropertyKey | undefined): ProviderError {
  const what =
    field === "state"
      ? "state must be 8-128 base64url characters (send back the wallet's state unchanged)"
      : field === "grant"
        ? "grant must be a compact JWT (signGrant output) of at most 4096 characters"
        : field === "code"
          ? "code must be 1-32 upper-case letters or underscores, e.g. UNDER_AGE"
          : "not a valid message";
  return new ProviderError("INVALID_GRANT_MESSAGE", `grant message: ${what}`);
}
