import { isKeyAnnounced, type KeyLogEntry } from "@blindgate/sdk/protocol";
import type { App } from "./app.js";
import { now } from "./app.js";
import { armAfterVisible } from "./arm.js";
import { renderTokens } from "./holdings.js";
import { chooseInterval, whyNothingFits } from "./intervals.js";
import { IssueError } from "./issue.js";
import { keyLogForProof, tokenThresholds } from "./keys.js";
import { postToOpener } from "./opener.js";
import { paceRequest } from "./pace.js";
import { afterOutcome, type ProofPlan, planProof, wantedThreshold } from "./plan.js";
import { markUsed } from "./pool.js";
import { lowestAge, showProviders } from "./provider-flow.js";
import { refillAfterProof } from "./refill-timers.js";
import {
  answerError,
  cancelButton,
  isOpen,
  type PendingRequest,
  rememberAnswer,
  showMessage,
} from "./request.js";
import {
  allTokens,
  getCredential,
  getKeyLogCache,
  getPace,
  holdToken,
  lastCheck,
  putPace,
  putUsedThresholds,
  removeTokens,
  type StoredToken,
  usedThresholds,
} from "./store.js";
import { randomDelay } from "./supply.js";
import { actions, button, dateText, details, heading, para, setStatus, show } from "./ui.js";
import { waitFirstUse, waitPace } from "./waits.js";

/*
 * The proof flow: find the token that answers the request on screen (never more than asked: plan.ts), wait out the
 * first use after a fresh grant, ask the person, hand one token to the asking origin only, and keep it held for that
 * origin until its page reports what its proof endpoint did with it.
 */

/** Tokens left of a threshold under which, with no credits, the person is told the next proof needs a new check. */
const LOW_TOKENS = 3;

/** Find the answer to the current request: a token to confirm, a question, or the providers. */
export async function prepare(app: App): Promise<void> {
  const { S } = app;
  const current = app.request;
  if (current === undefined || current.answered) return;
  setStatus(S.checkingKeys);
  let log: KeyLogEntry[];
  try {
    // the log kept from the last refill when young enough: answering from the pool asks the gateway nothing
    log = await keyLogForProof(app.config, now());
  } catch (error) {
    if (app.request !== current) return;
    const code = error instanceof IssueError ? error.code : "KEY_LOG_UNAVAILABLE";
    setStatus("");
    return show(
      "key-log",
      para(code === "KEY_SET_REFUSED" ? S.keySet : S.keyLog, "refusal"),
      details(S.details, code),
      actions(
        button("wallet-retry", S.tryAgain, () => void prepare(app)),
        cancelButton(app),
      ),
    );
  }
  const usable = (t: StoredToken) => t.notAfter > now() && isKeyAnnounced(log, t.keyId, now());
  const tokens = await allTokens();
  await removeTokens(tokens.filter((t) => !usable(t)).map((t) => t.id as number));
  if (current.ageBelow !== undefined) return prepareBand(app, current, current.ageBelow, usable);
  const thresholds = tokenThresholds(log, now());
  current.wanted = wantedThreshold(current.minAge, thresholds);
  const plan = async (): Promise<ProofPlan> => planProof(await allTokens(), current, thresholds, usable);
  let answer = await plan();
  let refilled = false;
  // Never more than asked: no token of the wanted threshold left, buy some with credits before anything else.
  if (answer.kind !== "exact") {
    const credential = await getCredential();
    if (credential !== undefined && credential.ageOver >= answer.wanted && credential.notAfter > now()) {
      setStatus(S.refilling(answer.wanted));
      if (await app.supply.refill(answer.wanted)) {
        log = (await getKeyLogCache())?.entries ?? log; // the refill verified a fresh log
        answer = await plan();
        refilled = true;
        await renderTokens(app);
      }
    }
  }
  if (app.request !== current) return;
  setStatus("");
  if (answer.kind !== "none") {
    // a site that asks again right after an answer waits before the person is asked (pace.ts)
    const pace = paceRequest(await getPace(), current.origin, Date.now());
    current.strikes = pace.strikes;
    if (!(await waitPace(app, current, pace.notBefore))) return;
  }
  if (answer.kind === "exact") {
    if (!(await waitFirstUse(app, current))) return;
    if (refilled) {
      // tokens bought during this proof: a refill and a check seconds apart; a little random noise at least
      setStatus(S.timingWait);
      await new Promise((resolve) => setTimeout(resolve, randomDelay(500, 2000)));
      if (app.request !== current) return;
      setStatus("");
    }
    return showConfirm(app, answer.token, current, await nextLayout());
  }
  if (answer.kind === "higher")
    return showHigher(app, answer.token, answer.wanted, current, await nextLayout());
  const check = await lastCheck();
  if (check !== undefined && check.ageOver < current.minAge) {
    return showBelow(app, check.ageOver, check.at, current);
  }
  return showProviders(app, check === undefined ? S.providersHelp : S.providersUsedUp);
}

/**
 * A band ask (a room for minors): the widest band token inside [minAge, ageBelow) (intervals.ts), never a threshold
 * token; nothing fits, the person is told why in words (an adult at a teens' room, a child, a check that says too
 * little) and the site only "not proven".
 */
async function prepareBand(
  app: App,
  current: PendingRequest,
  ageBelow: number,
  usable: (t: StoredToken) => boolean,
): Promise<void> {
  const { S } = app;
  const asked = { from: current.minAge, below: ageBelow };
  const held = (await allTokens())
    .filter((t) => usable(t) && (t.heldFor === undefined || t.heldFor === current.origin))
    .map((t) => ({ from: t.threshold, below: t.below, token: t }));
  const chosen = chooseInterval(asked, held);
  setStatus("");
  if (app.request !== current) return;
  if (chosen !== undefined) {
    const pace = paceRequest(await getPace(), current.origin, Date.now());
    current.strikes = pace.strikes;
    if (!(await waitPace(app, current, pace.notBefore))) return;
    if (!(await waitFirstUse(app, current))) return;
    return showConfirm(app, chosen.token, current, await nextLayout());
  }
  const check = await lastCheck();
  if (check === undefined) return showProviders(app, S.providersHelp);
  const why = whyNothingFits(asked, { from: check.ageOver, below: check.ageBelow });
  if (why === "too-young") return showBelow(app, check.ageOver, check.at, current);
  if (why === "unknown") return showProviders(app, S.bandUnknown);
  const title = heading(S.tooOldTitle);
  title.tabIndex = -1;
  show(
    "too-old",
    title,
    para(S.tooOldText(current.minAge, ageBelow, check.ageOver), "refusal"),
    actions(
      button("wallet-not-proven", S.notProven, () => {
        answerError(app, "NOT_PROVEN");
        window.close();
      }),
    ),
  );
  title.focus();
}

/**
 * The consent view. Confirm takes turns between two places (beside Cancel, or under it) from one request to the
 * next, so that a click aimed where it was last time does not land on it; the focus goes to the view's heading.
 */
function showConfirm(app: App, token: StoredToken, current: PendingRequest, layout: number): void {
  const { S } = app;
  const confirm = button(
    "wallet-confirm",
    S.confirm(token.threshold, token.below),
    () => void send(app, token, current),
  );
  const hint = para(S.arming, "hint");
  hint.id = "wallet-arming";
  armAfterVisible(confirm, {
    onArmed: () => hint.remove(),
    onInterrupted: () => {
      hint.textContent = S.armingAgain;
    },
  });
  const title = heading(S.confirmTitle);
  title.tabIndex = -1;
  show(
    "confirm",
    title,
    para(S.reveal(token.threshold, token.below)),
    consentActions(layout, confirm, cancelButton(app)),
    hint,
  );
  title.focus();
}

/** The two places of the button that sends: 0 first in a row, 1 under the other buttons. */
function consentActions(
  layout: number,
  send: HTMLButtonElement,
  ...others: HTMLButtonElement[]
): HTMLElement {
  const row = layout === 0 ? actions(send, ...others) : actions(...others, send);
  if (layout === 1) row.classList.add("stacked");
  row.dataset.layout = String(layout);
  return row;
}

/** The layout of this consent view: the other one than last time (kept across wallet windows). */
async function nextLayout(): Promise<number> {
  const pace = await getPace();
  const layout = pace.layout === 0 ? 1 : 0;
  await putPace({ ...pace, layout });
  return layout;
}

/** Only higher tokens: say what revealing more means; the default (and every key press) does nothing. */
function showHigher(
  app: App,
  token: StoredToken,
  wanted: number,
  current: PendingRequest,
  layout: number,
): void {
  const { S } = app;
  const reveal = button(
    "wallet-reveal-higher",
    S.revealHigher(token.threshold),
    () => void send(app, token, current),
    true,
  );
  armAfterVisible(reveal);
  const title = heading(S.higherTitle(wanted));
  title.tabIndex = -1;
  show(
    "higher",
    title,
    para(S.higherText(wanted, token.threshold)),
    consentActions(
      layout,
      reveal,
      button("wallet-recheck", S.recheck, () => void showProviders(app, S.providersUsedUp)),
      cancelButton(app),
    ),
  );
  title.focus();
}

/** The last check says younger than asked: say so, and let the person re-check (a birthday) or answer "not proven". */
async function showBelow(app: App, checked: number, at: number, current: PendingRequest): Promise<void> {
  const { S } = app;
  const lowest = await lowestAge(app);
  if (app.request !== current) return;
  show(
    "below",
    heading(S.belowTitle),
    para(S.belowText(checked, current.minAge, dateText(app.lang, at), lowest)),
    actions(
      button("wallet-not-proven", S.notProven, () => {
        answerError(app, "NOT_PROVEN");
        window.close();
      }),
      button("wallet-recheck", S.birthday, () => void showProviders(app, S.providersHelp), true),
    ),
  );
}

async function send(app: App, token: StoredToken, current: PendingRequest): Promise<void> {
  if (!isOpen(app, current) || window.opener === null) return;
  current.answered = true;
  // Held for this site until it reports: a proof endpoint that fails must not cost the token.
  await holdToken(token, current.origin);
  // the threshold asked (not a higher one revealed by consent) keeps a pool from now on; no site is kept
  if (token.below === undefined)
    await putUsedThresholds(markUsed(await usedThresholds(), current.wanted ?? token.threshold, now()));
  app.held.set(current.nonce, { token, origin: current.origin });
  void rememberAnswer(current);
  postToOpener(
    {
      type: "blindgate:token",
      nonce: current.nonce,
      token: token.token,
      ageOver: token.threshold,
      ...(token.below === undefined ? {} : { ageBelow: token.below }),
    },
    current.origin,
  );
  show("sending");
  setStatus(app.S.sending);
}

/** The asking page reports what its proof endpoint did with the token handed to it. */
export async function onOutcome(
  app: App,
  origin: string,
  outcome: { nonce: string; ok: boolean; code: string | undefined },
): Promise<void> {
  const { S } = app;
  const { nonce, ok, code } = outcome;
  const entry = app.held.get(nonce);
  if (entry === undefined || entry.origin !== origin) return;
  app.held.delete(nonce);
  if (afterOutcome({ ok, code }) === "forget") await removeTokens([entry.token.id as number]);
  await renderTokens(app);
  if (app.request !== undefined && app.request.nonce !== nonce) return; // a newer request is on screen
  setStatus("");
  if (ok) {
    const left = (await allTokens()).filter((t) => t.threshold === entry.token.threshold).length;
    const credits = (await getCredential())?.credits ?? 0;
    const low = left < LOW_TOKENS && credits === 0;
    show(
      "done",
      para(S.done(entry.token.threshold, entry.token.below), "success"),
      ...(low ? [para(S.lowTokens, "hint")] : []),
    );
    refillAfterProof(app, nonce, low ? 1500 : 0);
    return;
  }
  const reason = code ?? "ERROR";
  showMessage(
    app,
    "site-failed",
    afterOutcome({ ok, code }) === "keep" ? S.siteKept : S.siteRefused,
    "refusal",
    reason,
  );
}
