import { DEFAULT_MIN_KEY_EPOCH_SECONDS } from "@blindgate/sdk/protocol";
import type { Stores, TokenKeyRecord } from "../stores/index.js";
import { keyState } from "./key-state.js";

/*
 * What keeps rotations on skewed clocks from making two live keys for one threshold and kind. A rotation holds a
 * lease that lapses by the clock of whoever looks at it, so two rotations whose clocks are further apart than the
 * lease can run at once, or one can run "before" keys another made "later". Each rotation therefore:
 *   - before adding a current key, looks for a key it did not create that starts soon (a rotation ahead of it made
 *     it): the new key stops issuing where that one starts, and when that is too close for a real epoch, none is
 *     added — the other key issues soon, and a short gap is better than two live keys (clients refuse those);
 *   - after adding, heals: of keys of one threshold and kind whose issuing windows overlap, the one that starts
 *     first (then the lowest id) is kept, the others stop issuing now (their tokens stay valid) and are logged
 *     "retired". Every rotation picks the same keeper, so two healing at once agree.
 */

/** A key's interval (threshold, and a band's upper bound) and kind: the keys that must not overlap. */
function groupOf(key: TokenKeyRecord): string {
  return `${key.kind} ${key.threshold} ${key.ageBelow ?? ""}`;
}

/** Still to issue, or issuing, at `now`, and not retired by a heal. */
function issuesFromNow(key: TokenKeyRecord, now: number): boolean {
  const state = keyState(key, now);
  return state === "pending" || state === "next" || state === "current";
}

/**
 * The window of a new current key at `now` among `mine` (the keys of its threshold and kind), or undefined when
 * none should be added because a key made by another rotation starts within a short epoch.
 *
 * @example
 * ```ts
 * const window = currentKeyWindow(mine, now, epoch); // { notBefore: now, issueUntil: now + epoch } usually
 * ```
 */
export function currentKeyWindow(
  mine: readonly TokenKeyRecord[],
  now: number,
  epoch: number,
): { notBefore: number; issueUntil: number } | undefined {
  const upcoming = mine
    .filter((k) => k.notBefore > now && issuesFromNow(k, now))
    .sort((a, b) => a.notBefore - b.notBefore)[0];
  if (upcoming === undefined || upcoming.notBefore >= now + epoch) {
    return { notBefore: now, issueUntil: now + epoch };
  }
  if (upcoming.notBefore - now < Math.min(epoch, DEFAULT_MIN_KEY_EPOCH_SECONDS)) return undefined;
  return { notBefore: now, issueUntil: upcoming.notBefore };
}

/**
 * Retire (from `now`) every key whose issuing window overlaps the window of a key of its threshold and kind that
 * starts earlier (or at the same time with a lower id). Returns the ids retired.
 *
 * @example
 * ```ts
 * const retired = await healOverlaps(stores, await stores.keys.list(), now);
 * ```
 */
export async function healOverlaps(
  stores: Stores,
  keys: readonly TokenKeyRecord[],
  now: number,
): Promise<string[]> {
  const groups = new Map<string, TokenKeyRecord[]>();
  for (const key of keys) {
    if (!issuesFromNow(key, now)) continue;
    const group = groups.get(groupOf(key)) ?? [];
    group.push(key);
    groups.set(groupOf(key), group);
  }
  const retired: string[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => a.notBefore - b.notBefore || a.id.localeCompare(b.id));
    let kept: TokenKeyRecord | undefined;
    for (const key of group) {
      if (kept === undefined || key.notBefore >= kept.issueUntil) {
        kept = key;
        continue;
      }
      if (await stores.keys.retire(key.id, now)) retired.push(key.id);
    }
  }
  return retired;
}
