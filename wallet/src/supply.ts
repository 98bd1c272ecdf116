import type { KeyLogEntry } from "@blindgate/sdk/protocol";
import { refill } from "./credits.js";
import type { WalletConfig } from "./issue.js";
import { tokenThresholds } from "./keys.js";
import type { TokenSupply } from "./plan.js";
import { type BandKeyLike, planBandRefill, planRefill, planSize, planUrgentRefill } from "./pool.js";
import {
  allTokens,
  getCredential,
  getFirstUse,
  getKeyLogCache,
  removeTokens,
  usedThresholds,
} from "./store.js";

/*
 * Where tokens come from after the grant: credits (ACT refills).
 *
 * - backgroundRefill tops up the pools of the thresholds in use and, under a band credential, of the bands it buys
 *   (pool.ts). The wallet calls it at moments that are
 *   not a proof: a few random seconds after a proof has been answered and its page told, when the wallet page is
 *   opened on its own, and on a random timer while it stays open.
 * - creditSupply is the TokenSupply of a proof: when no token of the wanted threshold is left, it buys some of that
 *   threshold during the proof, the one case where a refill is tied in time to a visit (docs/wallet.md says what
 *   that costs).
 */

const seconds = () => Math.floor(Date.now() / 1000);

/**
 * Top up the pools; the number of tokens added (0 when nothing was needed or possible). Asks the gateway nothing
 * when the pools are full by the kept key log (no refill in flight), and nothing during the first-use wait: a
 * request then would be one more event the gateway could match to the fresh grant.
 */
export async function backgroundRefill(config: WalletConfig): Promise<number> {
  const now = seconds();
  const firstUse = await getFirstUse();
  if (firstUse !== undefined && Date.now() < firstUse.until) return 0;
  // dead tokens go first, credential or not: a band token dies with its key (by the grant's below_until, or the
  // credit key's end), and none outlives the credential that bought it
  const tokens = await allTokens();
  await removeTokens(
    tokens.filter((t) => t.notAfter <= now && t.id !== undefined).map((t) => t.id as number),
  );
  const credential = await getCredential();
  if (credential === undefined) return 0;
  const used = await usedThresholds();
  const live = tokens.filter((t) => t.notAfter > now);
  const kept = await getKeyLogCache();
  if (credential.pending === undefined && kept !== undefined && credential.notAfter > now) {
    const issuing = tokenThresholds(kept.entries, now);
    const thresholds = planSize(planRefill({ tokens: live, used, credential, issuing, now }));
    const bandKeys = loggedBandKeys(kept.entries, now);
    const bands = planBandRefill({ tokens: live, credential, bandKeys, now, budget: credential.credits });
    if (thresholds + bands.length === 0) return 0;
  }
  const result = await refill(
    config,
    now,
    (keys, credential) => planRefill({ tokens: live, used, credential, issuing: keys.tokenKeys.keys(), now }),
    (keys, credential, budget) =>
      planBandRefill({ tokens: live, credential, bandKeys: keys.bandKeys, now, budget }),
  );
  return result.added.length;
}

/** Band token keys issuing now by the kept log (to know, asking nothing, whether a band pool needs a refill). */
function loggedBandKeys(entries: readonly KeyLogEntry[], now: number): BandKeyLike[] {
  return entries
    .filter(
      (e) =>
        (e.kind ?? "token") === "token" &&
        e.ageBelow !== undefined &&
        e.notBefore <= now &&
        e.issueUntil > now &&
        e.validUntil > now,
    )
    .map((e) => ({ threshold: e.threshold, below: e.ageBelow as number, notAfter: e.validUntil }));
}

/** Refills of the wanted threshold during a proof, from the credential's credits. */
export function creditSupply(config: () => WalletConfig): TokenSupply {
  return {
    async refill(threshold: number): Promise<boolean> {
      const urgent = () =>
        refill(config(), seconds(), (keys, credential) =>
          planUrgentRefill(threshold, credential, keys.tokenKeys.keys()),
        );
      try {
        let result = await urgent();
        // a refill left in flight earlier is finished first: it may not have been of this threshold
        if (!result.added.some((t) => t.threshold === threshold) && result.added.length > 0)
          result = await urgent();
        return result.added.some((t) => t.threshold === threshold);
      } catch {
        return false;
      }
    },
  };
}

/** A random delay in [minMs, maxMs). */
export function randomDelay(minMs: number, maxMs: number): number {
  return minMs + Math.floor(Math.random() * (maxMs - minMs));
}
