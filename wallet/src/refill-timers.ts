import type { App } from "./app.js";
import { renderTokens } from "./holdings.js";
import { IssueError } from "./issue.js";
import { backgroundRefill, randomDelay } from "./supply.js";

/*
 * When the pools are topped up (supply.ts says how): at moments that are not a proof, so that the gateway cannot
 * tie a refill to a visit by its time.
 */

/** Opened on its own: the first refill this many ms after opening, then one every REFILL_EVERY_MS. */
const FIRST_REFILL_MS: [number, number] = [2_000, 10_000];
const REFILL_EVERY_MS: [number, number] = [600_000, 1_200_000];
/** After a proof was answered and its page told: a refill this many ms later, then the window closes. */
const AFTER_PROOF_MS: [number, number] = [1_000, 4_000];

/** Opened on its own: refill a few seconds after opening, then on a random timer while the page stays open. */
export function scheduleRefills(app: App): void {
  const next = (range: [number, number]) =>
    setTimeout(
      async () => {
        await refillQuietly(app);
        next(REFILL_EVERY_MS);
      },
      randomDelay(...range),
    );
  next(FIRST_REFILL_MS);
}

/**
 * A proof's page has its answer: top the pools up a few random seconds later (`extraMs` more when the person has a
 * message to read), then close the window unless a newer request came in meanwhile.
 */
export function refillAfterProof(app: App, nonce: string, extraMs: number): void {
  setTimeout(
    async () => {
      await refillQuietly(app);
      if (app.request === undefined || app.request.nonce === nonce) window.close();
    },
    randomDelay(...AFTER_PROOF_MS) + extraMs,
  );
}

/** A background refill; failures are quiet (the next moment tries again, a refill in flight is kept). */
async function refillQuietly(app: App): Promise<void> {
  try {
    if ((await backgroundRefill(app.config)) > 0) await renderTokens(app);
  } catch (error) {
    // offline, or the gateway refused: the pool stays as it is, and the person sees it in the list; the code (never
    // a credential or a token) goes to the console for whoever debugs it
    const code = error instanceof IssueError ? error.code : "REFILL_FAILED";
    console.warn(`blindgate wallet: refill not done (${code})`);
  }
}
