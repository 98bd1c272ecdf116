import type { StoredToken, UsedThresholds } from "./store.js";

/*
 * The token pool, as pure functions: how many tokens of which thresholds the wallet asks for, at
 * a grant (the first batch) and at a refill (credits spent on tokens).
 *
 * - The first batch, bought with the grant beside the credential, gives FIRST_BATCH tokens of every threshold met,
 *   so that the first visit of any kind finds a token of exactly the age asked.
 * - Afterwards only the thresholds sites have asked for within USED_FOR_SECONDS keep a pool of POOL_TARGET tokens:
 *   credits are not spent on ages nobody asks this person for (a person who visits 13 sites never buys 21 tokens),
 *   and a token about to die with its key (within FRESH_MARGIN_SECONDS) no longer counts.
 * - A refill asks for 1..MAX_REFILL tokens, never more than the credits left.
 */

/** Tokens kept ready per threshold in use. */
export const POOL_TARGET = 3;
/** Tokens per threshold met in the batch bought with a grant. */
export const FIRST_BATCH = 2;
/** Most tokens one refill buys (the gateway's limit). */
export const MAX_REFILL = 10;
/** A threshold asked for within this long keeps a pool. */
export const USED_FOR_SECONDS = 45 * 86_400;
/** A token whose key ends within this long does not count toward the pool (it is replaced ahead). */
export const FRESH_MARGIN_SECONDS = 86_400;

/**
 * The first batch for the thresholds met (those the gateway has keys for, at or below the grant's age): FIRST_BATCH
 * each, in at most `maxTokens - 1` tokens so that the grant still buys at least one credit; the lowest thresholds
 * first when the grant allows fewer.
 */
export function planFirstBatch(thresholds: readonly number[], maxTokens: number): Map<number, number> {
  const sorted = [...new Set(thresholds)].sort((a, b) => a - b);
  const plan = new Map<number, number>();
  let left = Math.max(0, maxTokens - 1);
  for (let round = 0; round < FIRST_BATCH; round++) {
    for (const t of sorted) {
      if (left <= 0) return plan;
      plan.set(t, (plan.get(t) ?? 0) + 1);
      left--;
    }
  }
  return plan;
}

/** The UTC day (epoch seconds at midnight) of `now`: what is kept of when a threshold was asked for. */
export function dayOf(now: number): number {
  return now - (((now % 86_400) + 86_400) % 86_400);
}

/** The thresholds used of `used` after a request answered with `threshold` at `now`. */
export function markUsed(used: UsedThresholds, threshold: number, now: number): UsedThresholds {
  return { ...used, [threshold]: dayOf(now) };
}

/** Tokens that count toward the pool of a threshold: not held for a site, and not about to die. */
export function poolCounts(tokens: readonly StoredToken[], now: number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const t of tokens) {
    if (t.heldFor !== undefined || t.notAfter <= now + FRESH_MARGIN_SECONDS) continue;
    if (t.below !== undefined) continue; // a band token is no threshold token
    counts.set(t.threshold, (counts.get(t.threshold) ?? 0) + 1);
  }
  return counts;
}

export interface RefillInput {
  tokens: readonly StoredToken[];
  used: UsedThresholds;
  /** The credential's threshold and credits left. */
  credential: { ageOver: number; credits: number };
  /** Thresholds the gateway issues tokens for now. */
  issuing: Iterable<number>;
  now: number;
}

/**
 * A background refill: the tokens missing from the pools of the thresholds in use (at or below the credential's
 * and issued by the gateway), shared out one at a time, lowest threshold first, within MAX_REFILL and the credits.
 * Empty when every pool is full.
 */
export function planRefill(input: RefillInput): Map<number, number> {
  const { tokens, used, credential, now } = input;
  const issuing = new Set(input.issuing);
  const counts = poolCounts(tokens, now);
  const missing = new Map<number, number>();
  for (const [key, day] of Object.entries(used)) {
    const t = Number(key);
    if (t > credential.ageOver || !issuing.has(t) || day + USED_FOR_SECONDS < now) continue;
    const need = POOL_TARGET - (counts.get(t) ?? 0);
    if (need > 0) missing.set(t, need);
  }
  return share(missing, Math.min(MAX_REFILL, credential.credits));
}

/**
 * A refill during a proof, when no token of the wanted threshold is left: POOL_TARGET tokens of that threshold
 * (within the credits), or nothing when the credential does not reach it or the gateway does not issue it.
 */
export function planUrgentRefill(
  wanted: number,
  credential: { ageOver: number; credits: number },
  issuing: Iterable<number>,
): Map<number, number> {
  if (wanted > credential.ageOver || !new Set(issuing).has(wanted)) return new Map();
  return share(new Map([[wanted, POOL_TARGET]]), Math.min(MAX_REFILL, credential.credits));
}

function share(missing: Map<number, number>, budget: number): Map<number, number> {
  const plan = new Map<number, number>();
  const order = [...missing.keys()].sort((a, b) => a - b);
  let left = budget;
  while (left > 0) {
    let gave = false;
    for (const t of order) {
      if (left <= 0) break;
      if ((plan.get(t) ?? 0) >= (missing.get(t) ?? 0)) continue;
      plan.set(t, (plan.get(t) ?? 0) + 1);
      left--;
      gave = true;
    }
    if (!gave) break;
  }
  return plan;
}

/** Band tokens kept ready per band key a band credential buys. */
export const BAND_POOL_TARGET = 2;

/** A band key as the band planner needs it (a directory key, or one read from the kept key log). */
export interface BandKeyLike {
  threshold: number;
  below?: number;
  notAfter: number;
}

/**
 * The band keys a credential buys tokens of, as the gateway decides it: none for a threshold credential; for a band
 * credential [ageOver, ageBelow), every band key containing that band whose tokens die at or before the credential's
 * key does (a refill knows nothing of the person, so the credit key's life is the bound; the gateway refuses the
 * whole refill, credits and all, for any other).
 */
export function bandKeysBought<K extends BandKeyLike>(
  credential: { ageOver: number; ageBelow?: number; notAfter: number },
  bandKeys: readonly K[],
): K[] {
  const { ageBelow } = credential;
  if (ageBelow === undefined) return [];
  return bandKeys.filter(
    (k) =>
      k.below !== undefined &&
      k.threshold <= credential.ageOver &&
      ageBelow <= k.below &&
      k.notAfter <= credential.notAfter,
  );
}

/**
 * A background refill's band tokens: up to BAND_POOL_TARGET fresh tokens of every band key the credential buys,
 * shared out one at a time (narrowest band first) within `budget`. Every band is kept, not only those asked for:
 * a band credential is a teen's, held for teens' rooms, and a band token is asked for with no threshold to mark.
 */
export function planBandRefill<K extends BandKeyLike>(input: {
  tokens: readonly StoredToken[];
  credential: { ageOver: number; ageBelow?: number; notAfter: number };
  bandKeys: readonly K[];
  now: number;
  budget: number;
}): K[] {
  const { tokens, now } = input;
  const band = (from: number, below: number) => `${from}-${below}`;
  const counts = new Map<string, number>();
  for (const t of tokens) {
    if (t.below === undefined || t.heldFor !== undefined || t.notAfter <= now + FRESH_MARGIN_SECONDS)
      continue;
    const id = band(t.threshold, t.below);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const keys = bandKeysBought(input.credential, input.bandKeys)
    .filter((k) => k.notAfter > now + FRESH_MARGIN_SECONDS) // a token dying within the margin would not count
    .sort(
      (a, b) => (a.below ?? 0) - a.threshold - ((b.below ?? 0) - b.threshold) || a.threshold - b.threshold,
    );
  const need = keys.map((k) =>
    Math.max(0, BAND_POOL_TARGET - (counts.get(band(k.threshold, k.below ?? 0)) ?? 0)),
  );
  const out: K[] = [];
  let left = Math.max(0, input.budget);
  for (let gave = true; gave && left > 0; ) {
    gave = false;
    keys.forEach((k, i) => {
      if (left <= 0 || (need[i] ?? 0) <= 0) return;
      out.push(k);
      need[i] = (need[i] ?? 0) - 1;
      left--;
      gave = true;
    });
  }
  return out;
}

/** The total of a plan. */
export function planSize(plan: ReadonlyMap<number, number>): number {
  let n = 0;
  for (const v of plan.values()) n += v;
  return n;
}
