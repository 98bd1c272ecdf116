import type { TokenRequestMessage, WalletErrorCode } from "@blindgate/sdk/browser";
import type { App } from "./app.js";
import { showHome } from "./home.js";
import { postToOpener } from "./opener.js";
import { recordAnswer } from "./pace.js";
import { getPace, putPace } from "./store.js";
import { actions, button, details, el, para, show } from "./ui.js";

/*
 * The request state machine. A site page's request is shown, then answered exactly once — a token (proof.ts) or an
 * error — and from then on the page's actions are for the person only (`answered`). A newer request (the person
 * clicked again, on this site or after navigating) replaces the one shown, which is answered NOT_PROVEN first. A site
 * hears NOT_PROVEN for every answer without a token that the person or their age gave (cancelled, under the age,
 * an adult at a room for teens): the person is told why, in words, here; the site learns nothing more.
 */

export interface PendingRequest {
  origin: string;
  minAge: number;
  /** A band ask: [minAge, ageBelow). Absent: a threshold ask. */
  ageBelow?: number;
  nonce: string;
  /** The site asked not to wait after a fresh grant (prove's skipFirstUseDelay). */
  noDelay: boolean;
  /** The threshold that answers the request exactly (set once the key log is read). */
  wanted?: number;
  /** The site has its answer (token, or error); later actions of this page are for the person only. */
  answered: boolean;
  /** Quick asks in a row from this origin, this one included (pace.ts); 0 until the pace was read. */
  strikes: number;
}

/** Take a site's request; the new request when it is one to work on, undefined for a repeat of the one shown. */
export function beginRequest(
  app: App,
  origin: string,
  asked: TokenRequestMessage,
): PendingRequest | undefined {
  const { nonce } = asked;
  const ack = () => postToOpener({ type: "blindgate:request-received", nonce }, origin);
  if (app.request?.nonce === nonce) {
    ack(); // the same request, sent again ("ready" after the first send)
    return undefined;
  }
  // the person did not answer the replaced request: it does not count as an answer the site can pace on
  if (app.request !== undefined && !app.request.answered) answerError(app, "NOT_PROVEN", false);
  const request: PendingRequest = {
    origin,
    minAge: asked.minAge,
    ...(asked.ageBelow === undefined ? {} : { ageBelow: asked.ageBelow }),
    nonce,
    noDelay: asked.noDelay === true,
    answered: false,
    strikes: 0,
  };
  app.request = request;
  ack();
  const text = el("wallet-request-text");
  const who = document.createElement("span");
  who.className = "origin";
  who.textContent = origin;
  text.replaceChildren(who, document.createTextNode(app.S.asks(asked.minAge, asked.ageBelow)));
  el("wallet-request").hidden = false;
  text.hidden = false;
  text.focus(); // not the confirm button: a key press meant for the site must not send anything
  return request;
}

/** Whether `request` is still the one on screen and still waits for its answer. */
export function isOpen(app: App, request: PendingRequest): boolean {
  return app.request === request && !request.answered;
}

/** Answer the request on screen without a token (once); `paced`: a request of that site soon after waits. */
export function answerError(app: App, code: WalletErrorCode, paced = true): void {
  const request = app.request;
  if (request === undefined || request.answered) return;
  request.answered = true;
  postToOpener({ type: "blindgate:error", nonce: request.nonce, code }, request.origin);
  if (paced) void rememberAnswer(request);
}

/** Remember that `request`'s origin got its answer now: its next request soon after waits (pace.ts). */
export async function rememberAnswer(request: PendingRequest): Promise<void> {
  await putPace(recordAnswer(await getPace(), request.origin, request.strikes, Date.now()));
}

/** The way out of a step: Cancel (the site is told) while a request is shown, Back on the wallet's own page. */
export function cancelButton(app: App): HTMLButtonElement {
  if (app.request === undefined) return button("wallet-cancel", app.S.back, () => showHome(app), true);
  return button(
    "wallet-cancel",
    app.S.cancel,
    () => {
      answerError(app, "NOT_PROVEN");
      window.close();
    },
    true,
  );
}

export function closeButton(app: App): HTMLButtonElement {
  return button("wallet-close", app.S.close, () => window.close(), true);
}

/** A step where only the person can act now (the site has its answer): words, a code folded away, and a way out. */
export function showMessage(app: App, view: string, text: string, className = "notice", code?: string): void {
  show(
    view,
    para(text, className),
    ...(code === undefined ? [] : [details(app.S.details, code)]),
    actions(closeButton(app)),
  );
}
