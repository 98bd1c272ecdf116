import { compareIntervals, intervalKey, sameInterval } from "@blindgate/sdk/protocol";
import type { TokenKeyRecord } from "../stores/index.js";
import { keyInterval } from "./intervals.js";

/** Which keys: RSA token keys, or ACT credit-credential keys. */
export type KeyKind = TokenKeyRecord["kind"];

/*
 * The life of a token key, one per age threshold at a time:
 *
 *   publishAt ── next ──> notBefore ── current ──> issueUntil ── retired ──> validUntil ── expired
 *   (in the directory, ahead)  (issues tokens)            (checks only)          (removed)
 *
 * A key is published one epoch ahead of issuing, so wallets and sites see it before any token of it exists;
 * it issues for one epoch; its tokens are accepted for one token-validity period after that. rotateKeys keeps,
 * per age interval (threshold or band), one current and one next key; the directory lists exactly those (at most
 * two per interval). Band keys live the same life on short epochs (a band token must die before a birthday).
 * Credit-credential keys (kind "credit") live the same life on their own, longer epochs: a credential dies with
 * its key. The functions below select one kind (tokens by default).
 */

export type KeyState = "pending" | "next" | "current" | "retired" | "expired";

export function keyState(key: TokenKeyRecord, now: number): KeyState {
  // A key retired early by a rotation's heal issues no more, and leaves the directory, from then on.
  if (key.retiredAt !== undefined && now >= key.retiredAt && now < key.validUntil) return "retired";
  if (now < key.publishAt) return "pending";
  if (now < key.notBefore) return "next";
  if (now < key.issueUntil) return "current";
  if (now < key.validUntil) return "retired";
  return "expired";
}

/**
 * Keys of the directory: per age interval the current key then the next one, at most two; thresholds ascending
 * first, then bands (by lower end, then upper end).
 */
export function directoryKeys(
  all: readonly TokenKeyRecord[],
  now: number,
  kind: KeyKind = "token",
): TokenKeyRecord[] {
  const keys = all.filter((k) => k.kind === kind);
  const out: TokenKeyRecord[] = [];
  const intervals = new Map(keys.map((k) => [intervalKey(keyInterval(k)), keyInterval(k)]));
  const order = [...intervals.values()].sort(
    (a, b) => Number(a.below !== undefined) - Number(b.below !== undefined) || compareIntervals(a, b),
  );
  for (const interval of order) {
    const mine = keys.filter((k) => sameInterval(keyInterval(k), interval));
    const current = mine
      .filter((k) => keyState(k, now) === "current")
      .sort((a, b) => b.notBefore - a.notBefore)[0];
    const next = mine.filter((k) => keyState(k, now) === "next").sort((a, b) => a.notBefore - b.notBefore)[0];
    if (current !== undefined) out.push(current);
    if (next !== undefined) out.push(next);
  }
  return out;
}

/** Keys that issue tokens (or credentials) at `now`. */
export function issuingKeys(
  keys: readonly TokenKeyRecord[],
  now: number,
  kind: KeyKind = "token",
): TokenKeyRecord[] {
  return keys.filter((k) => k.kind === kind && keyState(k, now) === "current");
}

/** Keys whose tokens (or credentials) are accepted at `now` (current or retired). */
export function checkingKeys(
  keys: readonly TokenKeyRecord[],
  now: number,
  kind: KeyKind = "token",
): TokenKeyRecord[] {
  return keys.filter((k) => {
    const state = keyState(k, now);
    return k.kind === kind && (state === "current" || state === "retired");
  });
}
