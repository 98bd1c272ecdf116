/*
 * The first-use wait. Right after a grant, the gateway knows one person got a credential at
 * time t (and, with the provider, who). If that person's first proof reaches a site at t + 2 s, a gateway that
 * colludes with the site matches the two by time. So the wallet holds the first proof back by a random delay drawn
 * so that about k other people are expected to have been issued in the window the delay is drawn from: with a
 * published rate of r issuances per hour, the window is k / r hours, and the delay is uniform over [W/2, 3W/2].
 * Someone who sees the proof at p can only say the issuance happened in [p - 3W/2, p - W/2], where about k others
 * fall.
 *
 * The window is capped (MAX_WINDOW_SECONDS), so the wait is at most a minute (MAX_WAIT_MS): on a quiet gateway the
 * set is smaller than k, and the wallet says so in its text. An unknown rate (a new gateway publishes none) is
 * taken as a quiet one: the longest window. A site may opt out (prove({ skipFirstUseDelay: true })), only where its
 * operator accepts the risk (docs/threat-model.md).
 */

/** Other issuances the first proof should hide among (default k). */
export const DEFAULT_ANONYMITY_SET = 20;
/** Shortest window, seconds (a busy gateway still gets a little noise). */
export const MIN_WINDOW_SECONDS = 4;
/** Longest window, seconds: the wait is at most 1.5 times this. */
export const MAX_WINDOW_SECONDS = 40;
/** The longest first-use wait, ms. */
export const MAX_WAIT_MS = 1.5 * MAX_WINDOW_SECONDS * 1000;

/** The window (seconds) in which about `k` issuances are expected at `perHour` (unknown: the longest). */
export function firstUseWindow(perHour: number | undefined, k = DEFAULT_ANONYMITY_SET): number {
  if (perHour === undefined || !(perHour > 0)) return MAX_WINDOW_SECONDS;
  const seconds = (k * 3600) / perHour;
  return Math.min(MAX_WINDOW_SECONDS, Math.max(MIN_WINDOW_SECONDS, seconds));
}

/** The wait before the first proof, ms: uniform over [W/2, 3W/2) of the window W. */
export function firstUseDelayMs(
  perHour: number | undefined,
  k = DEFAULT_ANONYMITY_SET,
  random: () => number = Math.random,
): number {
  const window = firstUseWindow(perHour, k) * 1000;
  return Math.round(window * (0.5 + random()));
}

/** Issuances expected at `perHour` during `ms` (what the wallet tells the person); undefined when unknown. */
export function expectedIssuances(perHour: number | undefined, ms: number): number | undefined {
  if (perHour === undefined || !(perHour > 0)) return undefined;
  return Math.round((perHour * ms) / 3_600_000);
}

/** How far the wait has gone, 0..1, at `nowMs`. */
export function waitProgress(firstUse: { until: number; waitMs: number }, nowMs: number): number {
  if (firstUse.waitMs <= 0) return 1;
  const left = Math.max(0, firstUse.until - nowMs);
  return Math.min(1, Math.max(0, 1 - left / firstUse.waitMs));
}
