import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkingKeys, directoryKeys, issuingKeys, keyState } from "../../../functions/issuer/keys.js";
import type { TokenKeyRecord } from "../../../functions/stores/types.js";

const E = 3600;
const V = 1800;

function key(threshold: number, notBefore: number, id = `${threshold}-${notBefore}`): TokenKeyRecord {
  return {
    id,
    truncatedId: 0,
    threshold,
    spki: new Uint8Array(),
    publishAt: notBefore - E,
    notBefore,
    issueUntil: notBefore + E,
    validUntil: notBefore + E + V,
    sealedPrivateKey: new Uint8Array(),
    createdAt: notBefore - E,
  };
}

describe("token key lifecycle", () => {
  const k = key(18, 10 * E);
  it.each([
    [k.publishAt - 1, "pending"],
    [k.publishAt, "next"],
    [k.notBefore, "current"],
    [k.issueUntil - 1, "current"],
    [k.issueUntil, "retired"],
    [k.validUntil - 1, "retired"],
    [k.validUntil, "expired"],
  ] as const)("at %i the key is %s", (now, state) => {
    expect(keyState(k, now)).toBe(state);
  });

  it("the directory shows at most the current and the next key of each threshold, current first", () => {
    // a chain of consecutive keys per threshold, as rotation makes them
    const keys = [13, 18].flatMap((t) => Array.from({ length: 6 }, (_, i) => key(t, i * E)));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 * E }), (now) => {
        const listed = directoryKeys(keys, now);
        for (const t of [13, 18]) {
          const mine = listed.filter((x) => x.threshold === t);
          expect(mine.length).toBeLessThanOrEqual(2);
          const states = mine.map((x) => keyState(x, now)).join(",");
          expect(["", "current", "next", "current,next"]).toContain(states);
          // while a chain key issues, the directory lists it
          if (now < 6 * E) expect(states.startsWith("current")).toBe(true);
        }
        // exactly one key issues per threshold, and every key listed for checking is current or retired
        expect(issuingKeys(keys, now).filter((x) => x.threshold === 18).length).toBeLessThanOrEqual(1);
        for (const c of checkingKeys(keys, now)) expect(["current", "retired"]).toContain(keyState(c, now));
      }),
    );
  });
});
