import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstBandBatch } from "../../../wallet/src/credits.js";
import {
  answers,
  chooseInterval,
  type Interval,
  intervalText,
  MIN_BAND_WIDTH,
  whyNothingFits,
} from "../../../wallet/src/intervals.js";
import type { IssuingTokenKey } from "../../../wallet/src/keys.js";

/*
 * The wallet's choice of the age interval to present, against the shared model: a threshold ask gets the lowest
 * threshold at or above it and never a band; a band ask gets the widest band inside it, never a threshold, never a
 * one-year band (an exact age).
 */

const age = fc.integer({ min: 1, max: 30 });
const threshold = age.map((from): Interval => ({ from }));
const band = fc
  .tuple(age, fc.integer({ min: 1, max: 10 }))
  .map(([from, width]): Interval => ({ from, below: from + width }));
const interval = fc.oneof(threshold, band);
const held = fc.array(interval, { maxLength: 12 });

describe("chooseInterval", () => {
  it("a threshold ask gets the lowest threshold at or above it, never a band", () => {
    fc.assert(
      fc.property(threshold, held, (asked, keys) => {
        const chosen = chooseInterval(asked, keys);
        const fits = keys.filter((k) => k.below === undefined && k.from >= asked.from);
        if (fits.length === 0) {
          expect(chosen).toBeUndefined();
          return;
        }
        expect(chosen?.below).toBeUndefined();
        expect(chosen?.from).toBe(Math.min(...fits.map((k) => k.from)));
      }),
    );
  });

  it("a band ask gets the widest band inside it, never a threshold, never an exact age", () => {
    fc.assert(
      fc.property(band, held, (asked, keys) => {
        const chosen = chooseInterval(asked, keys);
        const inside = keys.filter(
          (k) =>
            k.below !== undefined &&
            k.from >= asked.from &&
            k.below <= (asked.below as number) &&
            k.below - k.from >= MIN_BAND_WIDTH,
        );
        if (inside.length === 0) {
          expect(chosen).toBeUndefined();
          return;
        }
        expect(chosen).toBeDefined();
        const c = chosen as Interval;
        expect(c.below).toBeDefined();
        expect(c.from).toBeGreaterThanOrEqual(asked.from);
        expect(c.below as number).toBeLessThanOrEqual(asked.below as number);
        expect((c.below as number) - c.from).toBeGreaterThanOrEqual(MIN_BAND_WIDTH);
        const widest = Math.max(...inside.map((k) => (k.below as number) - k.from));
        expect((c.below as number) - c.from).toBe(widest);
      }),
    );
  });

  it("what it presents always answers the ask, and it answers whenever something does", () => {
    fc.assert(
      fc.property(interval, held, (asked, keys) => {
        const chosen = chooseInterval(asked, keys);
        expect(chosen === undefined).toBe(!keys.some((k) => answers(asked, k)));
        if (chosen !== undefined) expect(answers(asked, chosen)).toBe(true);
      }),
    );
  });

  it("does not depend on the order of the tokens held", () => {
    fc.assert(
      fc.property(interval, held, (asked, keys) => {
        const a = chooseInterval(asked, keys);
        const b = chooseInterval(asked, [...keys].reverse());
        expect(a === undefined ? undefined : intervalText(a)).toBe(
          b === undefined ? undefined : intervalText(b),
        );
      }),
    );
  });

  it("the default bands: a 13–17 room gets 13–17 over 13–15, an adult's 13+ opens no teens' room", () => {
    const keys: Interval[] = [{ from: 13 }, { from: 18 }, { from: 13, below: 16 }, { from: 13, below: 18 }];
    expect(chooseInterval({ from: 13, below: 18 }, keys)).toEqual({ from: 13, below: 18 });
    expect(chooseInterval({ from: 13, below: 16 }, keys)).toEqual({ from: 13, below: 16 });
    expect(chooseInterval({ from: 13 }, keys)).toEqual({ from: 13 });
    expect(chooseInterval({ from: 13, below: 18 }, [{ from: 13 }, { from: 18 }])).toBeUndefined();
    expect(chooseInterval({ from: 15, below: 18 }, [{ from: 16, below: 17 }])).toBeUndefined(); // an exact age
  });
});

describe("whyNothingFits", () => {
  it("an adult at a teens' room, a teen at an adult room, a child anywhere, a check that says too little", () => {
    expect(whyNothingFits({ from: 13, below: 18 }, { from: 18 })).toBe("too-old");
    expect(whyNothingFits({ from: 18 }, { from: 15, below: 18 })).toBe("too-young");
    expect(whyNothingFits({ from: 13, below: 18 }, { from: 0 })).toBe("too-young");
    expect(whyNothingFits({ from: 13, below: 18 }, { from: 13 })).toBe("unknown");
  });

  it("says too old only when the check's lower end is at or above the band's upper end", () => {
    fc.assert(
      fc.property(band, interval, (asked, check) => {
        const why = whyNothingFits(asked, check);
        expect(why === "too-old").toBe(check.from >= (asked.below as number));
      }),
    );
  });
});

describe("firstBandBatch", () => {
  const key = (threshold: number, below: number, notAfter: number): IssuingTokenKey => ({
    threshold,
    below,
    notAfter,
    keyId: `${threshold}-${below}`,
    tokenKey: new Uint8Array(1),
  });
  const keys = [key(13, 16, 1_000), key(13, 18, 2_000), key(16, 18, 1_000)];

  it("a 15-year-old's grant buys the bands around [15, 16) whose tokens die by below_until, and no other", () => {
    const plan = firstBandBatch(keys, { ageOver: 15, ageBelow: 16, belowUntil: 5_000 }, 60);
    expect(plan.map((k) => k.keyId)).toEqual(["13-16", "13-16", "13-18", "13-18"]);
    // a birthday near: only keys that die before it
    expect(
      firstBandBatch(keys, { ageOver: 15, ageBelow: 16, belowUntil: 1_500 }, 60).map((k) => k.keyId),
    ).toEqual(["13-16", "13-16"]);
  });

  it("a threshold grant, or one without below_until, buys no band; the batch stays within the bound and what is left", () => {
    expect(firstBandBatch(keys, { ageOver: 18 }, 60)).toEqual([]);
    expect(firstBandBatch(keys, { ageOver: 15, ageBelow: 16 }, 60)).toEqual([]);
    expect(firstBandBatch(keys, { ageOver: 16, ageBelow: 17, belowUntil: 5_000 }, 3)).toHaveLength(3);
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 40 }), (left) => {
        const plan = firstBandBatch(keys, { ageOver: 16, ageBelow: 17, belowUntil: 5_000 }, left);
        expect(plan.length).toBeLessThanOrEqual(Math.max(0, Math.min(10, left)));
        for (const k of plan) expect(k.threshold <= 16 && (k.below ?? 0) >= 17).toBe(true);
      }),
    );
  });
});
