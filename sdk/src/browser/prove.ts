import { BrowserError } from "./errors.js";
import {
  type ProofOutcome,
  randomId,
  readMessage,
  requestReceived,
  type TokenRequestMessage,
  tokenAnswer,
  type WalletWait,
  walletError,
  walletProgress,
  walletReady,
} from "./messages.js";

/*
 * prove(): ask the person's wallet for a token and hand it to this site's proof endpoint.
 *
 *   1. open the wallet as a named popup through an anchor with referrerpolicy="no-referrer" (the wallet gets an
 *      opener to answer to, and no Referer: the gateway serving the wallet never learns this site);
 *   2. send { minAge, nonce } to the wallet's origin only: when it says "ready", or at once when the window already
 *      showed the wallet (the person clicked again while it was open: it does not load again, so it never says
 *      "ready"; it acknowledges the request instead);
 *   3. accept an answer only from that window and that origin, with our nonce;
 *   4. POST the token to the site's proof endpoint (same origin), which sets the age session cookie;
 *   5. tell the wallet how that went: it forgets the token only then (a proof endpoint that fails costs nothing).
 *
 * A newer prove() on the same page replaces a pending one (which rejects with REPLACED).
 */

export interface ProveOptions {
  /** The age asked: 13, 15, 16, 18, 21... */
  minAge: number;
  /**
   * An upper bound, exclusive, for a room of minors: `{ minAge: 13, ageBelow: 18 }` asks for "13 to 17". The wallet
   * then answers with an age-band token inside [minAge, ageBelow) — never a threshold token, so an adult cannot
   * enter — or not at all (NOT_PROVEN). Needs a gateway with band keys and a wallet that knows bands.
   */
  ageBelow?: number;
  /** The wallet's URL, e.g. "https://wallet.gateway.example/". */
  walletUrl: string;
  /** The site's proof endpoint (default "/.well-known/blindgate/proof"). */
  proofPath?: string;
  /** How long to wait for the wallet to load, in ms (default 30000). */
  timeoutMs?: number;
  /**
   * Ask the wallet not to hold back a first proof right after a fresh age check (default false). The wallet
   * normally waits up to a minute after an issuance so that the gateway cannot match the issuance and this proof
   * by time; skipping the wait lets a gateway that colludes with this site link the person's age check (and, with
   * the provider, their identity) to this visit. Set it only where the site's operator accepts that risk
   * (docs/threat-model.md). Needs a wallet that knows the option (blindgate 0.3 and later).
   */
  skipFirstUseDelay?: boolean;
  /**
   * Told about once a second while the wallet makes the person wait before asking them (the first proof after a
   * fresh age check waits up to a minute; a site that asks again at once waits a little): show it, so the person
   * knows why nothing happens yet.
   */
  onProgress?: (progress: ProveProgress) => void;
}

/** The wallet is waiting before it asks the person. */
export interface ProveProgress {
  /** "first-use": right after an age check, so the gateway cannot match it to this visit; "paced": this page asked again at once. */
  wait: WalletWait;
  /** Seconds left, rounded up. */
  secondsLeft: number;
}

export interface ProveResult {
  /** The lower end proven (the smallest the wallet holds that is >= minAge). */
  ageOver: number;
  /** For a band: the upper end proven (exclusive), at most the ageBelow asked. */
  ageBelow?: number;
}

const WINDOW_NAME = "blindgate-wallet";
const TOKEN_REQUEST = "blindgate:token-request" satisfies TokenRequestMessage["type"];
const OUTCOME = "blindgate:outcome" satisfies ProofOutcome["type"];
const SITE_CODE = /^[A-Z0-9_]{1,48}$/;

/** The pending prove() of this page, if any: a newer call cancels it. */
let pending: (() => void) | undefined;

/**
 * Prove the person's age to this site. Call it from a click (browsers block popups otherwise).
 * Rejects with BrowserError: NOT_PROVEN (the person declined or closed the wallet, or their age does not fit: one
 * code, so that a site cannot tell them apart), POPUP_BLOCKED, REPLACED, NO_PROVIDER, WALLET_UNAVAILABLE,
 * PROOF_REFUSED, SITE_UNAVAILABLE.
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
  pending?.();
  const walletOrigin = wallet.origin;
  const nonce = randomId();
  if (
    options.ageBelow !== undefined &&
    !(Number.isInteger(options.ageBelow) && options.ageBelow > options.minAge)
  )
    throw new BrowserError("NOT_PROVEN", "prove: ageBelow must be an integer above minAge");
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
  try {
    popup.focus(); // an already open wallet may be behind this page
  } catch {
    // nothing to do: focus is a courtesy
  }

  const answer = await new Promise<{ token: string; ageOver: number; ageBelow?: number }>(
    (resolve, reject) => {
      let acknowledged = false;
      const message: TokenRequestMessage = {
        type: TOKEN_REQUEST,
        minAge: options.minAge,
        ...(options.ageBelow === undefined ? {} : { ageBelow: options.ageBelow }),
        nonce,
        ...(options.skipFirstUseDelay === true ? { noDelay: true as const } : {}),
      };
      const request = () => popup.postMessage(message, walletOrigin);
      const finish = (
        error?: BrowserError,
        value?: { token: string; ageOver: number; ageBelow?: number },
      ) => {
        window.removeEventListener("message", onMessage);
        clearInterval(poll);
        clearTimeout(timer);
        if (pending === cancel) pending = undefined;
        if (error !== undefined) reject(error);
        else if (value !== undefined) resolve(value);
      };
      const cancel = () => finish(new BrowserError("REPLACED", "prove: replaced by a newer prove()"));
      pending = cancel;
      const onMessage = (event: MessageEvent) => {
        if (event.origin !== walletOrigin || event.source !== popup) return;
        if (readMessage(walletReady, event.data) !== undefined) return request();
        const received = readMessage(requestReceived, event.data);
        if (received !== undefined && received.nonce === nonce) {
          acknowledged = true;
          return;
        }
        const progress = readMessage(walletProgress, event.data);
        if (progress !== undefined && progress.nonce === nonce) {
          acknowledged = true;
          options.onProgress?.({ wait: progress.wait, secondsLeft: Math.ceil(progress.leftMs / 1000) });
          return;
        }
        const token = readMessage(tokenAnswer, event.data);
        if (token !== undefined && token.nonce === nonce) {
          // a token outside what was asked is not sent on: the site's gate would refuse it anyway
          const below = options.ageBelow;
          if (token.ageOver < options.minAge || (below !== undefined && (token.ageBelow ?? Infinity) > below))
            return finish(
              new BrowserError("NOT_PROVEN", "prove: the wallet answered outside the interval asked"),
            );
          return finish(undefined, {
            token: token.token,
            ageOver: token.ageOver,
            ...(token.ageBelow === undefined ? {} : { ageBelow: token.ageBelow }),
          });
        }
        const error = readMessage(walletError, event.data);
        if (error !== undefined && error.nonce === nonce) {
          const code =
            error.code === "UNAVAILABLE"
              ? "WALLET_UNAVAILABLE"
              : error.code === "NO_PROVIDER"
                ? "NO_PROVIDER"
                : "NOT_PROVEN";
          finish(new BrowserError(code, `prove: the wallet answered ${error.code}`));
        }
      };
      window.addEventListener("message", onMessage);
      if (showsOtherOrigin(popup)) request(); // the wallet was already open: it will not say "ready" again
      const poll = setInterval(() => {
        if (popup.closed) finish(new BrowserError("NOT_PROVEN", "prove: the wallet was closed"));
      }, 300);
      const timer = setTimeout(() => {
        if (!acknowledged) {
          popup.close();
          finish(new BrowserError("WALLET_UNAVAILABLE", "prove: the wallet did not load"));
        }
      }, options.timeoutMs ?? 30_000);
    },
  );

  const outcome = await postProof(options.proofPath ?? "/.well-known/blindgate/proof", answer.token);
  if (!popup.closed) {
    const report: ProofOutcome = { type: OUTCOME, nonce, ok: outcome.ok, code: outcome.code };
    popup.postMessage(report, walletOrigin);
  }
  if (outcome.ok)
    return {
      ageOver: answer.ageOver,
      ...(answer.ageBelow === undefined ? {} : { ageBelow: answer.ageBelow }),
    };
  const code = outcome.unavailable ? "SITE_UNAVAILABLE" : "PROOF_REFUSED";
  throw new BrowserError(code, `prove: the site answered ${outcome.code}`, outcome.code);
}

/** True when the window shows a document of another origin (the wallet, already open), false while it loads. */
function showsOtherOrigin(popup: Window): boolean {
  try {
    void popup.location.href; // readable only for our own origin: the fresh window's initial about:blank
    return false;
  } catch {
    return true;
  }
}

/** POST the token; the site's code on a refusal, and whether the site could not check it at all. */
async function postProof(
  path: string,
  token: string,
): Promise<{ ok: boolean; code: string | undefined; unavailable: boolean }> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token }),
    });
  } catch {
    return { ok: false, code: "NETWORK", unavailable: true };
  }
  if (response.ok) return { ok: true, code: undefined, unavailable: false };
  const said = await response
    .json()
    .then((j: { error?: { code?: unknown } }) => j.error?.code)
    .catch(() => undefined);
  const code = typeof said === "string" && SITE_CODE.test(said) ? said : `HTTP_${response.status}`;
  return { ok: false, code, unavailable: response.status >= 500 || response.status === 429 };
}
