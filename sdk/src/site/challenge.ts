import {
  contains,
  type DirectoryTokenKey,
  formatInterval,
  TokenChallenge,
  usableTokenKeys,
  type WwwAuthenticateEntry,
} from "../protocol/index.js";
import type { GateInterval } from "./age-requirement.js";
import { GateError } from "./errors.js";
import type { IssuerState } from "./key-ring.js";

/*
 * The 401 of an ungated request (RFC 9577 §2.1):
 *
 *   WWW-Authenticate: PrivateToken challenge="<cross-origin TokenChallenge for the issuer>",
 *                     token-key="<the interval's current key>", max-age="<seconds>"
 *
 * one challenge per trusted issuer that can answer. The key pins the age interval, the way the wallet chooses:
 * for a threshold N, the issuer's first usable key (RFC 9578 §4 order) of the smallest threshold >= N it has, never
 * a band; for a band [a, b), the widest band key inside it (lowest start, then highest end), never a threshold.
 * A standard Privacy Pass client redeems a token of that key; blindgate's wallet reads the same header.
 */

/** The interval a directory key proves, or undefined for a key without "age-over" (not blindgate's). */
export function keyInterval(key: DirectoryTokenKey): GateInterval | undefined {
  if (key.ageOver === undefined) return undefined;
  return key.ageBelow === undefined ? { from: key.ageOver } : { from: key.ageOver, below: key.ageBelow };
}

/**
 * The key a site asking for `asked` pins for one directory, or undefined when the issuer has no key inside it.
 *
 * @example
 * ```ts
 * const key = pinnedKey(directory.tokenKeys, { from: 13, below: 18 }, nowSeconds); // the widest 13–17 band key
 * ```
 */
export function pinnedKey(keys: readonly DirectoryTokenKey[], asked: GateInterval, nowSeconds: number) {
  const usable = usableTokenKeys({ issuerRequestUri: "/", tokenKeys: [...keys] }, { now: nowSeconds });
  let best: { key: DirectoryTokenKey; interval: GateInterval } | undefined;
  for (const key of usable) {
    const interval = keyInterval(key);
    if (interval === undefined || !contains(asked, interval)) continue;
    if (best === undefined || wider(interval, best.interval, asked)) best = { key, interval };
  }
  return best?.key;
}

/** Is `a` a better pin than `b` for `asked`: a lower threshold, or a wider band (earlier start, later end)? */
function wider(a: GateInterval, b: GateInterval, asked: GateInterval): boolean {
  if (asked.below === undefined) return a.from < b.from;
  if (a.from !== b.from) return a.from < b.from;
  return (a.below ?? 0) > (b.below ?? 0);
}

/**
 * The challenges for `asked`, one per issuer that has a key inside it. Throws GateError("ERR_GATEWAY_UNAVAILABLE")
 * when no directory could be fetched, and GateError("ERR_NO_THRESHOLD") when no issuer has a key inside it.
 *
 * @example
 * ```ts
 * const entries = await buildChallenges(issuers, { from: 18 }, Date.now());
 * headers.set("WWW-Authenticate", formatWwwAuthenticate(entries));
 * ```
 */
export async function buildChallenges(
  issuers: readonly IssuerState[],
  asked: GateInterval,
  nowMs: number,
): Promise<WwwAuthenticateEntry[]> {
  const loads = await Promise.allSettled(issuers.map((i) => i.directory.get()));
  const entries: WwwAuthenticateEntry[] = [];
  let failure: unknown;
  for (const [i, result] of loads.entries()) {
    if (result.status === "rejected") {
      failure ??= result.reason;
      continue;
    }
    const nowSeconds = Math.floor(nowMs / 1000);
    const key = pinnedKey(result.value.directory.tokenKeys, asked, nowSeconds);
    if (key === undefined) continue;
    let maxAge = Math.max(0, Math.floor((result.value.expiresAtMs - nowMs) / 1000));
    if (key.notAfter !== undefined) maxAge = Math.min(maxAge, Math.max(0, key.notAfter - nowSeconds));
    entries.push({
      challenge: TokenChallenge.crossOrigin(issuers[i]!.issuerName),
      tokenKey: key.tokenKey,
      maxAge,
    });
  }
  if (entries.length > 0) return entries;
  if (failure !== undefined) {
    throw new GateError("ERR_GATEWAY_UNAVAILABLE", "challenge: no issuer directory is reachable", {
      cause: failure,
    });
  }
  const what = asked.below === undefined ? `age ${asked.from} or more` : `ages ${formatInterval(asked)}`;
  throw new GateError("ERR_NO_THRESHOLD", `challenge: no trusted issuer has a key for ${what}`);
}
