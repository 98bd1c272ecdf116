import { directoryWithinKeyBounds as directoryBounded } from "@blindgate/sdk/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_ANONYMITY_SET,
  expectedIssuances,
  firstUseDelayMs,
  firstUseWindow,
  MAX_WAIT_MS,
  MAX_WINDOW_SECONDS,
  MIN_WINDOW_SECONDS,
  waitProgress,
} from "../../../wallet/src/first-use.js";
import {
  dayOf,
  FIRST_BATCH,
  FRESH_MARGIN_SECONDS,
  MAX_REFILL,
  markUsed,
  POOL_TARGET,
  planFirstBatch,
  planRefill,
  planSize,
  planUrgentRefill,
  USED_FOR_SECONDS,
} from "../../../wallet/src/pool.js";
import type { StoredToken } from "../../../wallet/src/store.js";

/*
 * The wallet's pool and first-use decisions (wallet/src/pool.ts, first-use.ts, keys.ts), as pure functions.
 */

const NOW = 1_800_000_000;
const THRESHOLDS = [13, 15, 16, 18, 21];
const token = (threshold: number, notAfter = NOW + 7 * 86_400, heldFor?: string): StoredToken => ({
  threshold,
  token: "AAAA",
  keyId: "00".repeat(32),
  notAfter,
  ...(heldFor === undefined ? {} : { heldFor }),
});

const arbToken: fc.Arbitrary<StoredToken> = fc
  .record({
    threshold: fc.constantFrom(...THRESHOLDS),
    notAfter: fc.integer({ min: NOW - 86_400, max: NOW + 14 * 86_400 }),
    held: fc.boolean(),
  })
  .map(({ threshold, notAfter, held }) =>
    token(threshold, notAfter, held ? "https://site.example" : undefined),
  );
const arbUsed = fc.dictionary(
  fc.constantFrom(...THRESHOLDS.map(String)),
  fc.integer({ min: NOW - 90 * 86_400, max: NOW }),
);

describe("first batch", () => {
  it("gives FIRST_BATCH tokens per threshold met, and leaves the grant at least one credit", () => {
    expect(planFirstBatch(THRESHOLDS, 70)).toEqual(new Map(THRESHOLDS.map((t) => [t, FIRST_BATCH])));
    expect(planFirstBatch([13, 15], 3)).toEqual(
      new Map([
        [13, 1],
        [15, 1],
      ]),
    );
    expect(planFirstBatch([13, 15, 16], 3)).toEqual(
      new Map([
        [13, 1],
        [15, 1],
      ]),
    );
    expect(planFirstBatch(THRESHOLDS, 1)).toEqual(new Map());
    expect(planFirstBatch([], 70)).toEqual(new Map());
  });

  it("property: never more than max_tokens - 1, never a threshold not met, lowest first", () => {
    fc.assert(
      fc.property(fc.subarray(THRESHOLDS), fc.integer({ min: 0, max: 200 }), (met, maxTokens) => {
        const plan = planFirstBatch(met, maxTokens);
        expect(planSize(plan)).toBeLessThanOrEqual(Math.max(0, maxTokens - 1));
        for (const [t, n] of plan) {
          expect(met).toContain(t);
          expect(n).toBeGreaterThan(0);
          expect(n).toBeLessThanOrEqual(FIRST_BATCH);
        }
        // a higher threshold never gets more than a lower one
        const sorted = [...plan].sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < sorted.length; i++) expect(sorted[i]![1]).toBeLessThanOrEqual(sorted[i - 1]![1]);
      }),
    );
  });
});

describe("refills", () => {
  const credential = { ageOver: 21, credits: 60 };

  it("tops up only the thresholds sites asked for, to POOL_TARGET", () => {
    const used = markUsed(markUsed({}, 18, NOW - 86_400), 13, NOW);
    const tokens = [token(18), token(13), token(13), token(21), token(21)];
    expect(planRefill({ tokens, used, credential, issuing: THRESHOLDS, now: NOW })).toEqual(
      new Map([
        [13, POOL_TARGET - 2],
        [18, POOL_TARGET - 1],
      ]),
    );
  });

  it("nothing when every pool in use is full, or nothing was asked yet (the first batch covers it)", () => {
    expect(planRefill({ tokens: [], used: {}, credential, issuing: THRESHOLDS, now: NOW }).size).toBe(0);
    const full = Array.from({ length: POOL_TARGET }, () => token(18));
    const used = markUsed({}, 18, NOW);
    expect(planRefill({ tokens: full, used, credential, issuing: THRESHOLDS, now: NOW }).size).toBe(0);
  });

  it("a token held for a site, or about to die with its key, does not count", () => {
    const used = markUsed({}, 18, NOW);
    const tokens = [
      token(18, NOW + FRESH_MARGIN_SECONDS - 1),
      token(18, NOW + 7 * 86_400, "https://a.example"),
    ];
    expect(planRefill({ tokens, used, credential, issuing: THRESHOLDS, now: NOW })).toEqual(
      new Map([[18, POOL_TARGET]]),
    );
  });

  it("a threshold not asked for in USED_FOR_SECONDS, above the credential, or not issued, gets nothing", () => {
    const used = {
      13: dayOf(NOW - USED_FOR_SECONDS - 86_400),
      18: dayOf(NOW),
      21: dayOf(NOW),
      16: dayOf(NOW),
    };
    const plan = planRefill({
      tokens: [],
      used,
      credential: { ageOver: 18, credits: 60 },
      issuing: [13, 15, 18, 21],
      now: NOW,
    });
    expect(plan).toEqual(new Map([[18, POOL_TARGET]]));
  });

  it("property: within MAX_REFILL and the credits, never above the credential, never past a full pool", () => {
    fc.assert(
      fc.property(
        fc.array(arbToken, { maxLength: 30 }),
        arbUsed,
        fc.constantFrom(...THRESHOLDS),
        fc.integer({ min: 0, max: 255 }),
        (tokens, used, ageOver, credits) => {
          const plan = planRefill({
            tokens,
            used,
            credential: { ageOver, credits },
            issuing: THRESHOLDS,
            now: NOW,
          });
          expect(planSize(plan)).toBeLessThanOrEqual(Math.min(MAX_REFILL, credits));
          for (const [t, n] of plan) {
            expect(t).toBeLessThanOrEqual(ageOver);
            expect(used[t]).toBeDefined();
            const fresh = tokens.filter(
              (x) => x.threshold === t && x.heldFor === undefined && x.notAfter > NOW + FRESH_MARGIN_SECONDS,
            ).length;
            expect(fresh + n).toBeLessThanOrEqual(POOL_TARGET);
          }
        },
      ),
    );
  });

  it("property: a refill followed by its tokens leaves nothing to refill (while credits last)", () => {
    fc.assert(
      fc.property(fc.array(arbToken, { maxLength: 20 }), arbUsed, (tokens, used) => {
        const credential = { ageOver: 21, credits: 255 };
        let pool: StoredToken[] = [...tokens];
        for (let round = 0; round < 3; round++) {
          const plan = planRefill({ tokens: pool, used, credential, issuing: THRESHOLDS, now: NOW });
          for (const [t, n] of plan) for (let i = 0; i < n; i++) pool = [...pool, token(t)];
        }
        expect(planRefill({ tokens: pool, used, credential, issuing: THRESHOLDS, now: NOW }).size).toBe(0);
      }),
    );
  });

  it("during a proof: the wanted threshold only, and only if the credential reaches it", () => {
    expect(planUrgentRefill(13, { ageOver: 21, credits: 60 }, THRESHOLDS)).toEqual(
      new Map([[13, POOL_TARGET]]),
    );
    expect(planUrgentRefill(13, { ageOver: 21, credits: 1 }, THRESHOLDS)).toEqual(new Map([[13, 1]]));
    expect(planUrgentRefill(18, { ageOver: 16, credits: 60 }, THRESHOLDS).size).toBe(0);
    expect(planUrgentRefill(18, { ageOver: 21, credits: 0 }, THRESHOLDS).size).toBe(0);
    expect(planUrgentRefill(17, { ageOver: 21, credits: 60 }, THRESHOLDS).size).toBe(0);
  });

  it("keeps only the day a threshold was asked, no time of day", () => {
    const used = markUsed({}, 18, NOW + 12_345);
    expect(used[18]! % 86_400).toBe(0);
    expect(used[18]).toBeLessThanOrEqual(NOW + 12_345);
  });
});

describe("first-use wait", () => {
  it("a window in which about k issuances are expected, within its bounds", () => {
    expect(firstUseWindow(3600, 20)).toBe(20);
    expect(firstUseWindow(36_000, 20)).toBe(MIN_WINDOW_SECONDS);
    expect(firstUseWindow(10, 20)).toBe(MAX_WINDOW_SECONDS);
    expect(firstUseWindow(undefined)).toBe(MAX_WINDOW_SECONDS);
    expect(firstUseWindow(0)).toBe(MAX_WINDOW_SECONDS);
  });

  it("property: the delay is in [W/2, 3W/2], at most MAX_WAIT_MS, and not fixed", () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined }),
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (rate, k, u) => {
          const w = firstUseWindow(rate, k) * 1000;
          const d = firstUseDelayMs(rate, k, () => u);
          expect(d).toBeGreaterThanOrEqual(Math.floor(w / 2));
          expect(d).toBeLessThanOrEqual(Math.ceil(1.5 * w));
          expect(d).toBeLessThanOrEqual(MAX_WAIT_MS);
        },
      ),
    );
    expect(firstUseDelayMs(100, DEFAULT_ANONYMITY_SET, () => 0)).not.toBe(
      firstUseDelayMs(100, DEFAULT_ANONYMITY_SET, () => 0.9),
    );
  });

  it("says how many issuances the wait covers, and how far it has gone", () => {
    expect(expectedIssuances(3600, 20_000)).toBe(20);
    expect(expectedIssuances(undefined, 20_000)).toBeUndefined();
    expect(waitProgress({ until: 10_000, waitMs: 4_000 }, 6_000)).toBe(0);
    expect(waitProgress({ until: 10_000, waitMs: 4_000 }, 8_000)).toBe(0.5);
    expect(waitProgress({ until: 10_000, waitMs: 4_000 }, 12_000)).toBe(1);
  });
});

describe("directory bounds (the wallet's side of bounded keys)", () => {
  const key = (ageOver: number, notAfter = NOW + 86_400) => ({
    tokenType: 2,
    tokenKey: new Uint8Array(1),
    ageOver,
    notAfter,
  });
  const credit = (ageOver: number, notAfter = NOW + 86_400) => ({
    actKey: new Uint8Array(32),
    ageOver,
    notBefore: NOW - 10,
    issueUntil: NOW + 10,
    notAfter,
  });

  it("accepts current and next per threshold and kind; refuses a third live one", () => {
    const ok = {
      issuerRequestUri: "/r",
      tokenKeys: [key(18), key(18), key(13)],
      creditKeys: [credit(21), credit(21)],
    };
    expect(directoryBounded(ok, NOW)).toBe(true);
    expect(directoryBounded({ ...ok, tokenKeys: [...ok.tokenKeys, key(18)] }, NOW)).toBe(false);
    expect(directoryBounded({ ...ok, creditKeys: [...ok.creditKeys, credit(21)] }, NOW)).toBe(false);
    // a dead key does not count
    expect(directoryBounded({ ...ok, tokenKeys: [...ok.tokenKeys, key(18, NOW - 1)] }, NOW)).toBe(true);
  });

  it("counts each band as a group of its own, beside the threshold of the same lower end", () => {
    const band = (ageOver: number, ageBelow: number) => ({ ...key(ageOver), ageBelow });
    const tokenKeys = [key(13), key(13), band(13, 16), band(13, 16), band(13, 18), band(13, 18)];
    expect(directoryBounded({ issuerRequestUri: "/r", tokenKeys }, NOW)).toBe(true);
    expect(directoryBounded({ issuerRequestUri: "/r", tokenKeys: [...tokenKeys, band(13, 16)] }, NOW)).toBe(
      false,
    );
    const creditKeys = [
      { ...credit(13), ageBelow: 16 },
      { ...credit(13), ageBelow: 16 },
      credit(13),
      credit(13),
    ];
    expect(directoryBounded({ issuerRequestUri: "/r", tokenKeys, creditKeys }, NOW)).toBe(true);
    const third = { ...credit(13), ageBelow: 16 };
    expect(
      directoryBounded({ issuerRequestUri: "/r", tokenKeys, creditKeys: [...creditKeys, third] }, NOW),
    ).toBe(false);
  });

  it("refuses a partitioning directory of 50 keys for 18", () => {
    const tokenKeys = Array.from({ length: 50 }, () => key(18));
    expect(directoryBounded({ issuerRequestUri: "/r", tokenKeys }, NOW)).toBe(false);
  });
});
