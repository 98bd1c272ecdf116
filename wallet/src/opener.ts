import { proofOutcome, readMessage, type TokenRequestMessage, tokenRequest } from "@blindgate/sdk/browser";

/*
 * Messaging with the page that opened the wallet (a site page, through prove()). Requests are taken only from the
 * opener and parsed with the SDK's schemas; answers go to the origin that asked, never "*" — except "ready", which
 * carries nothing.
 */

export interface OpenerHandlers {
  onRequest(origin: string, request: TokenRequestMessage): void;
  onOutcome(origin: string, outcome: { nonce: string; ok: boolean; code: string | undefined }): void;
}

/** Whether a site page opened this window (else it was opened on its own). */
export function hasOpener(): boolean {
  return window.opener !== null;
}

/** Listen to the opener, then tell it the wallet is ready. */
export function listenToOpener(handlers: OpenerHandlers): void {
  window.addEventListener("message", (event: MessageEvent) => {
    if (event.source === null || event.source !== window.opener) return;
    const asked = readMessage(tokenRequest, event.data);
    if (asked !== undefined) return handlers.onRequest(event.origin, asked);
    const outcome = readMessage(proofOutcome, event.data);
    if (outcome !== undefined)
      handlers.onOutcome(event.origin, { nonce: outcome.nonce, ok: outcome.ok, code: outcome.code });
  });
  window.opener.postMessage({ type: "blindgate:wallet-ready" }, "*");
}

/** Post to the opener, delivered only if it still shows `origin`. */
export function postToOpener(message: unknown, origin: string): void {
  if (window.opener !== null) window.opener.postMessage(message, origin);
}
