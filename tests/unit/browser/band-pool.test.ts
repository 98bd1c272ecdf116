import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BAND_POOL_TARGET,
  bandKeysBought,
  FRESH_MARGIN_SECONDS,
  planBandRefill,
} from "../../../wallet/src/pool.js";
import type { StoredToken } from "../../../wallet/src/store.js";

/*
 * The band pool (wallet/src/pool.ts): which band keys a credential's refill buys, as pure functions. The rule is the
 * gateway's (functions/issuer/intervals.ts, assertCreditBuys): a band key K under a credential C iff C's band is
 * inside K and K's tokens die by C's key.
 */

const NOW = 1_800_000_000;
const DAY = 86_400;
const band = (threshold: number, below: number, notAfter: number) => ({ threshold, below, notAfter });
const KEYS = [
  band(13, 16, NOW + 20 * DAY),
  band(16, 18, NOW + 20 * DAY),
  band(13, 18, NOW + 20 * DAY),
  band(13, 16, NOW + 90 * DAY),
];
const teen = { ageOver: 13, ageBelow: 16, notAfter: NOW + 30 * DAY, credits: 5 };

function token(threshold: number, below: number | undefined, notAfter: number): StoredToken {
  return { threshold, ...(below === undefined ? {} : { below }), token: "t", keyId: "k", notAfter };
}

describe("bandKeysBought", () => {
  it("a 13–15 credential buys 13–15 and 13–17 keys dying by its key, never 16–17, never one outliving it", () => {
    expect(bandKeysBought(teen, KEYS)).toEqual([KEYS[0], KEYS[2]]);
  });

  it("a threshold credential buys no band key", () => {
    expect(bandKeysBought({ ageOver: 16, notAfter: NOW + 90 * DAY }, KEYS)).toEqual([]);
  });

  it("whatever it returns the gateway's rule allows", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            threshold: fc.integer({ min: 10, max: 20 }),
            width: fc.integer({ min: 1, max: 5 }),
            life: fc.integer({ min: 1, max: 100 }),
          }),
        ),
        fc.integer({ min: 10, max: 20 }),
        fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        fc.integer({ min: 1, max: 100 }),
        (raw, ageOver, width, life) => {
          const keys = raw.map((k) => band(k.threshold, k.threshold + k.width, NOW + k.life * DAY));
          const ageBelow = width === undefined ? undefined : ageOver + width;
          const credential = {
            ageOver,
            ...(ageBelow === undefined ? {} : { ageBelow }),
            notAfter: NOW + life * DAY,
          };
          for (const k of bandKeysBought(credential, keys)) {
            expect(ageBelow).toBeDefined();
            expect(k.threshold).toBeLessThanOrEqual(ageOver);
            expect(k.below).toBeGreaterThanOrEqual(ageBelow as number);
            expect(k.notAfter).toBeLessThanOrEqual(credential.notAfter);
          }
        },
      ),
    );
  });
});

describe("planBandRefill", () => {
  it("fills each band the credential buys up to BAND_POOL_TARGET, narrowest first, within the budget", () => {
    const plan = planBandRefill({ tokens: [], credential: teen, bandKeys: KEYS, now: NOW, budget: 3 });
    expect(plan).toEqual([KEYS[0], KEYS[2], KEYS[0]]);
    const all = planBandRefill({ tokens: [], credential: teen, bandKeys: KEYS, now: NOW, budget: 10 });
    expect(all).toHaveLength(2 * BAND_POOL_TARGET);
  });

  it("counts fresh band tokens held, not threshold tokens, nor tokens held for a site or about to die", () => {
    const held = [
      token(13, 16, NOW + 20 * DAY),
      token(13, 16, NOW + 20 * DAY),
      token(13, undefined, NOW + 20 * DAY),
      { ...token(13, 18, NOW + 20 * DAY), heldFor: "nonce" },
      token(13, 18, NOW + FRESH_MARGIN_SECONDS),
    ];
    const plan = planBandRefill({ tokens: held, credential: teen, bandKeys: KEYS, now: NOW, budget: 10 });
    expect(plan).toEqual([KEYS[2], KEYS[2]]);
  });

  it("a threshold credential, or a budget of nothing, plans nothing", () => {
    const adult = { ageOver: 18, notAfter: NOW + 90 * DAY };
    expect(planBandRefill({ tokens: [], credential: adult, bandKeys: KEYS, now: NOW, budget: 10 })).toEqual(
      [],
    );
    expect(planBandRefill({ tokens: [], credential: teen, bandKeys: KEYS, now: NOW, budget: 0 })).toEqual([]);
  });

  it("never plans a key whose tokens would die within the fresh margin", () => {
    const dying = [band(13, 16, NOW + FRESH_MARGIN_SECONDS)];
    expect(planBandRefill({ tokens: [], credential: teen, bandKeys: dying, now: NOW, budget: 10 })).toEqual(
      [],
    );
  });
});
