import {
  type DirectoryTokenKey,
  TokenChallenge,
  usableTokenKeys,
  type WwwAuthenticateEntry,
} from "../protocol/index.js";
import { GateError } from "./errors.js";
import type { IssuerState } from "./key-ring.js";

/*
 * The 401 of an ungated request (RFC 9577 §2.1):
 *
 *   WWW-Authenticate: PrivateToken challenge="<cross-origin TokenChallenge for the issuer>",
 *                     token-key="<the threshold's current key>", max-age="<seconds>"
 *
 * one challenge per trusted issuer that can answer. The key pins the threshold: for minAge N it is the issuer's
 * first usable key (RFC 9578 §4 order) whose "age-over" is the smallest threshold >= N that the issuer has. A
 * standard Privacy Pass client redeems a token of that key; blindgate's wallet reads the same header.
 */

/** The key a site asking for `minAge` pins for one directory, or undefined when the issuer has no such threshold. */
export function pinnedKey(keys: readonly DirectoryTokenKey[], minAge: number, nowSeconds: number) {
  const usable = usableTokenKeys({ issuerRequestUri: "/", tokenKeys: [...keys] }, { now: nowSeconds });
  let threshold: number | undefined;
  for (const k of usable) {
    if (
      k.ageOver !== undefined &&
      k.ageOver >= minAge &&
      (threshold === undefined || k.ageOver < threshold)
    ) {
      threshold = k.ageOver;
    }
  }
  return threshold === undefined ? undefined : usable.find((k) => k.ageOver === threshold);
}

/**
 * The challenges for `minAge`, one per issuer that has a suitable key. Throws GateError("ERR_GATEWAY_UNAVAILABLE")
 * when no directory could be fetched, and GateError("ERR_NO_THRESHOLD") when none has a threshold >= minAge.
 *
 * @example
 * ```ts
 * const entries = await buildChallenges(issuers, 18, Date.now());
 * headers.set("WWW-Authenticate", formatWwwAuthenticate(entries));
 * ```
 */
export async function buildChallenges(
  issuers: readonly IssuerState[],
  minAge: number,
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
    const key = pinnedKey(result.value.directory.tokenKeys, minAge, nowSeconds);
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
  throw new GateError("ERR_NO_THRESHOLD", `challenge: no trusted issuer has a key for age ${minAge} or more`);
}
