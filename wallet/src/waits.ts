import type { App } from "./app.js";
import { armAfterVisible } from "./arm.js";
import { expectedIssuances, waitProgress } from "./first-use.js";
import { postToOpener } from "./opener.js";
import { cancelButton, isOpen, type PendingRequest } from "./request.js";
import { getFirstUse } from "./store.js";
import { actions, button, heading, para, show } from "./ui.js";

/*
 * The waits before the person is asked to confirm, each shown with its reason, a countdown and Cancel, and each told
 * to the asking page (`blindgate:progress`: which wait and how long is left, nothing else) so that the site's tab can
 * say why nothing happens yet:
 *
 * - the first use after a fresh grant (first-use.ts): the wait is the person's. A site may ask to skip it (prove's
 *   skipFirstUseDelay); the wallet then says what skipping costs and offers "Skip the wait", armed like Confirm and
 *   never focused, and the default — doing nothing — is to wait;
 * - a site that asks again right after an answer (pace.ts).
 */

/** How often the countdown is redrawn (and the page told). */
const TICK_MS = 250;
/** The page is told at most this often (it shows seconds). */
const PROGRESS_EVERY_MS = 1000;

/**
 * Count down to `until` (epoch ms) in the view `nodes` build, telling the page which wait this is; false when the
 * request was replaced or answered meanwhile. `skip` ends the wait early when the person asks for it.
 */
function countdown(
  app: App,
  current: PendingRequest,
  wait: "first-use" | "paced",
  until: number,
  draw: (nowMs: number) => void,
  skip?: Promise<void>,
): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let told = 0;
    let skipped = false;
    void skip?.then(() => {
      skipped = true;
      tick();
    });
    const tick = () => {
      const nowMs = Date.now();
      draw(nowMs);
      const over = nowMs >= until || skipped || !isOpen(app, current);
      if (!over && nowMs - told >= PROGRESS_EVERY_MS) {
        told = nowMs;
        postToOpener(
          { type: "blindgate:progress", nonce: current.nonce, wait, leftMs: Math.max(0, until - nowMs) },
          current.origin,
        );
      }
      if (over) {
        clearInterval(timer);
        resolve(isOpen(app, current));
      }
    };
    const timer = setInterval(tick, TICK_MS);
    tick();
  });
}

/**
 * The first proof after a fresh grant waits (first-use.ts), with a progress bar and the reason; no request leaves
 * the wallet meanwhile. False when the request was replaced or answered during the wait.
 */
export async function waitFirstUse(app: App, current: PendingRequest): Promise<boolean> {
  const { S } = app;
  const firstUse = await getFirstUse();
  if (firstUse === undefined || Date.now() >= firstUse.until) return true;
  const bar = document.createElement("progress");
  bar.id = "wallet-first-use";
  bar.max = 100;
  bar.setAttribute("aria-label", S.firstUseProgress);
  bar.dataset.until = String(firstUse.until);
  bar.dataset.waitMs = String(Math.max(0, firstUse.until - Date.now()));
  const left = para("", "hint");
  const title = heading(S.firstUseTitle);
  title.tabIndex = -1;
  let skip: Promise<void> | undefined;
  const choice: Node[] = [];
  if (current.noDelay) {
    // the site asked to skip: the person decides, and doing nothing keeps the wait
    let skipNow: () => void = () => undefined;
    skip = new Promise<void>((resolve) => {
      skipNow = resolve;
    });
    const skipButton = button("wallet-skip-wait", S.skipWait, () => skipNow(), true);
    armAfterVisible(skipButton);
    choice.push(para(S.skipAsked, "notice"));
    choice.push(actions(skipButton, cancelButton(app)));
  } else {
    choice.push(actions(cancelButton(app)));
  }
  show(
    "first-use-wait",
    title,
    para(S.firstUseText(firstUse.k, expectedIssuances(firstUse.rate, firstUse.waitMs))),
    bar,
    left,
    ...choice,
  );
  title.focus(); // the new step's heading, not a button: a key press meant for the site must not act here
  return countdown(
    app,
    current,
    "first-use",
    firstUse.until,
    (nowMs) => {
      bar.value = Math.round(waitProgress(firstUse, nowMs) * 100);
      left.textContent = S.firstUseLeft(Math.max(0, Math.ceil((firstUse.until - nowMs) / 1000)));
    },
    skip,
  );
}

/** A site that asks again right after an answer waits until `notBefore` (pace.ts). */
export async function waitPace(app: App, current: PendingRequest, notBefore: number): Promise<boolean> {
  const { S } = app;
  if (Date.now() >= notBefore) return true;
  const left = para("", "hint");
  left.id = "wallet-paced-left";
  left.dataset.until = String(notBefore);
  const title = heading(S.pacedTitle);
  title.tabIndex = -1;
  show("paced", title, para(S.pacedText), left, actions(cancelButton(app)));
  title.focus();
  return countdown(app, current, "paced", notBefore, (nowMs) => {
    left.textContent = S.pacedLeft(Math.max(0, Math.ceil((notBefore - nowMs) / 1000)));
  });
}
