import { contains } from "@blindgate/sdk/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../../../functions/errors.js";
import {
  assertCreditBuys,
  assertGrantBuys,
  grantInterval,
  keyInterval,
  providerMayAttest,
} from "../../../functions/issuer/intervals.js";

/*
 * The gateway's band rules, as properties over random keys, grants and credentials: whatever is bought proves no
 * more than the evidence (interval inclusion), and no band token outlives the evidence's end (below_until, or the
 * credential's key). Every refusal is a GatewayError with its own code.
 */

const DAY = 86_400;
const key = fc.record({
  threshold: fc.integer({ min: 1, max: 30 }),
  width: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
  validUntil: fc.integer({ min: 0, max: 100 }).map((d) => 1_900_000_000 + d * DAY),
});
const asKey = (k: { threshold: number; width: number | undefined; validUntil: number }) => ({
  threshold: k.threshold,
  ...(k.width === undefined ? {} : { ageBelow: k.threshold + k.width }),
  validUntil: k.validUntil,
});
const grant = fc
  .record({
    age_over: fc.integer({ min: 1, max: 30 }),
    width: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
    until: fc.integer({ min: 0, max: 100 }),
  })
  .map((g) =>
    g.width === undefined
      ? { age_over: g.age_over }
      : { age_over: g.age_over, age_below: g.age_over + g.width, below_until: 1_900_000_000 + g.until * DAY },
  );

function outcome(f: () => void): string {
  try {
    f();
    return "ok";
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return (e as GatewayError).code;
  }
}

describe("band rules (functions/issuer/intervals.ts)", () => {
  it("a grant buys a key iff the key's interval contains the grant's, and a band key only if it dies by below_until", () => {
    fc.assert(
      fc.property(grant, key, (claims, k) => {
        const tokenKey = asKey(k);
        const code = outcome(() => assertGrantBuys(claims, tokenKey));
        const inside = contains(keyInterval(tokenKey), grantInterval(claims));
        const early = tokenKey.ageBelow === undefined || tokenKey.validUntil <= (claims.below_until ?? -1);
        expect(code === "ok").toBe(inside && early);
        if (code !== "ok") {
          expect(["ERR_GRANT_THRESHOLD", "ERR_GRANT_BAND", "ERR_GRANT_BAND_EXPIRY"]).toContain(code);
        }
        // an adult's grant (no upper bound) never buys a band
        if (claims.age_below === undefined && tokenKey.ageBelow !== undefined) expect(code).not.toBe("ok");
      }),
      { numRuns: 2000 },
    );
  });

  it("a credential buys a token key iff it contains the credential's interval, and a band key only if it dies by the credential's key", () => {
    fc.assert(
      fc.property(key, key, (c, k) => {
        const credit = asKey(c);
        const tokenKey = asKey(k);
        const code = outcome(() => assertCreditBuys(credit, tokenKey));
        const inside = contains(keyInterval(tokenKey), keyInterval(credit));
        const early = tokenKey.ageBelow === undefined || tokenKey.validUntil <= credit.validUntil;
        expect(code === "ok").toBe(inside && early);
        if (code !== "ok") expect(["ERR_CREDIT_THRESHOLD", "ERR_CREDIT_BAND"]).toContain(code);
      }),
      { numRuns: 2000 },
    );
  });

  it("a provider attests thresholds always, and a band only inside one of its rights", () => {
    const rights = { bands: ["13-16", "16-18"] };
    expect(providerMayAttest({}, { from: 21 })).toBe(true);
    expect(providerMayAttest({}, { from: 15, below: 16 })).toBe(false);
    expect(providerMayAttest(rights, { from: 15, below: 16 })).toBe(true);
    expect(providerMayAttest(rights, { from: 13, below: 18 })).toBe(false);
    expect(providerMayAttest({ bands: [] }, { from: 16, below: 18 })).toBe(false);
  });
});
