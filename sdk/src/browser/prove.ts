import { BrowserError } from "./errors.js";
import {
  randomId,
  readMessage,
  type TokenRequestMessage,
  tokenAnswer,
  walletError,
  walletReady,
} from "./messages.js";

/*
 * prove(): ask the person's wallet for a token and hand it to this site's proof endpoint.
 *
 *   1. open the wallet as a named popup through an anchor with referrerpolicy="no-referrer" (the wallet gets an
 *      opener to answer to, and no Referer: the gateway serving the wallet never learns this site);
 *   2. wait for its "ready", send { minAge, nonce } to the wallet's origin only;
 *   3. accept an answer only from that window and that origin, with our nonce;
 *   4. POST the token to the site's proof endpoint (same origin), which sets the age session cookie.
 */

export interface ProveOptions {
  /** The age asked: 13, 15, 16, 18, 21... */
  minAge: number;
  /** The wallet's URL, e.g. "https://wallet.gateway.example/". */
  walletUrl: string;
  /** The site's proof endpoint (default "/.well-known/blindgate/proof"). */
  proofPath?: string;
  /** How long to wait for the wallet to load, in ms (default 30000). */
  timeoutMs?: number;
}

export interface ProveResult {
  /** The threshold proven (the smallest the wallet holds that is >= minAge). */
  ageOver: number;
}

const WINDOW_NAME = "blindgate-wallet";
const TOKEN_REQUEST = "blindgate:token-request" satisfies TokenRequestMessage["type"];

/**
 * Prove the person's age to this site. Call it from a click (browsers block popups otherwise).
 * Rejects with BrowserError: POPUP_BLOCKED, CANCELLED, NO_PROVIDER, WALLET_UNAVAILABLE, UNDER_AGE, PROOF_REFUSED.
 *
 * @example
 * ```ts
 * button.onclick = async () => {
 *   await prove({ minAge: 18, walletUrl: "https://gateway.example/wallet/" });
 *   location.reload(); // the age session cookie is set
 * };
 * ```
 */
export async function prove(options: ProveOptions): Promise<ProveResult> {
  const wallet = new URL(options.walletUrl, location.href);
  if (
    wallet.protocol !== "https:" &&
    !/^(localhost|127\.0\.0\.1|\[::1\]|.+\.localhost)$/.test(wallet.hostname)
  ) {
    throw new BrowserError("WALLET_UNAVAILABLE", "prove: the wallet must be served over https");
  }
  const walletOrigin = wallet.origin;
  const nonce = randomId();
  wallet.hash = `min-age=${options.minAge}`;

  const anchor = document.createElement("a");
  anchor.href = wallet.href;
  anchor.target = WINDOW_NAME;
  anchor.rel = "opener";
  anchor.referrerPolicy = "no-referrer";
  anchor.hidden = true;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // The window the anchor opened (same name, no navigation); null when the browser blocked it.
  const popup = window.open("", WINDOW_NAME);
  if (popup === null)
    throw new BrowserError("POPUP_BLOCKED", "prove: the browser blocked the wallet's window");

  const answer = await new Promise<{ token: string; ageOver: number }>((resolve, reject) => {
    let ready = false;
    const finish = (error?: BrowserError, value?: { token: string; ageOver: number }) => {
      window.removeEventListener("message", onMessage);
      clearInterval(poll);
      clearTimeout(timer);
      if (error !== undefined) reject(error);
      else if (value !== undefined) resolve(value);
    };
    const onMessage = (event: MessageEvent) => {
      if (event.origin !== walletOrigin || event.source !== popup) return;
      if (readMessage(walletReady, event.data) !== undefined) {
        ready = true;
        popup.postMessage({ type: TOKEN_REQUEST, minAge: options.minAge, nonce }, walletOrigin);
        return;
      }
      const token = readMessage(tokenAnswer, event.data);
      if (token !== undefined && token.nonce === nonce) {
        if (token.ageOver < options.minAge)
          return finish(new BrowserError("UNDER_AGE", "prove: threshold too low"));
        return finish(undefined, { token: token.token, ageOver: token.ageOver });
      }
      const error = readMessage(walletError, event.data);
      if (error !== undefined && error.nonce === nonce) {
        const code = error.code === "UNAVAILABLE" ? "WALLET_UNAVAILABLE" : error.code;
        finish(new BrowserError(code, `prove: the wallet answered ${error.code}`));
      }
    };
    window.addEventListener("message", onMessage);
    const poll = setInterval(() => {
      if (popup.closed) finish(new BrowserError("CANCELLED", "prove: the wallet was closed"));
    }, 400);
    const timer = setTimeout(() => {
      if (!ready) {
        popup.close();
        finish(new BrowserError("WALLET_UNAVAILABLE", "prove: the wallet did not load"));
      }
    }, options.timeoutMs ?? 30_000);
  });

  const response = await fetch(options.proofPath ?? "/.well-known/blindgate/proof", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: answer.token }),
  }).catch(() => undefined);
  if (response === undefined || !response.ok) {
    throw new BrowserError(
      "PROOF_REFUSED",
      `prove: the site refused the proof (${response?.status ?? "network"})`,
    );
  }
  return { ageOver: answer.ageOver };
}
