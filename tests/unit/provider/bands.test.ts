import {
  GRANT_INPUT_RULES,
  type GrantInput,
  generateGrantKey,
  intervalFromBirthDate,
  ProviderError,
  signGrant,
} from "@blindgate/sdk/provider";
import fc from "fast-check";
import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";

/* The provider kit's bands: age_below and below_until in grants, computed from a birth date. */

const DAY = 86_400;
const input: GrantInput = { issuer: "gateway.example", providerId: "acme-id", ageOver: 15, maxTokens: 40 };
let key: Awaited<ReturnType<typeof generateGrantKey>>;
beforeAll(async () => {
  key = await generateGrantKey();
});

async function refusal(p: Promise<unknown>): Promise<ProviderError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProviderError);
  return e as ProviderError;
}

describe("signGrant with a band", () => {
  it("signs age_below and below_until beside age_over", async () => {
    const belowUntil = 1_900_000_000 - (1_900_000_000 % DAY);
    const claims = decodeJwt(await signGrant(key, { ...input, ageBelow: 16, belowUntil }));
    expect(claims).toMatchObject({ age_over: 15, age_below: 16, below_until: belowUntil });
    expect(Object.keys(claims).sort()).toEqual([
      "age_below",
      "age_over",
      "aud",
      "below_until",
      "exp",
      "iat",
      "iss",
      "jti",
      "max_tokens",
    ]);
    expect(decodeJwt(await signGrant(key, input))).not.toHaveProperty("age_below");
  });

  it("range errors name the field (and never the value)", async () => {
    const cases: [Partial<GrantInput>, keyof GrantInput][] = [
      [{ ageBelow: 15, belowUntil: DAY * 20_000 }, "ageBelow"],
      [{ ageBelow: 151, belowUntil: DAY * 20_000 }, "ageBelow"],
      [{ ageBelow: 16 }, "belowUntil"],
      [{ belowUntil: DAY * 20_000 }, "belowUntil"],
      [{ ageBelow: 16, belowUntil: DAY * 20_000 + 1 }, "belowUntil"],
      [{ ageBelow: 16, belowUntil: -DAY }, "belowUntil"],
    ];
    for (const [change, field] of cases) {
      const e = await refusal(signGrant(key, { ...input, ...change }));
      expect(e.code).toBe("INVALID_GRANT_INPUT");
      expect(e.message).toBe(`signGrant: ${GRANT_INPUT_RULES[field]}`);
    }
  });
});

describe("intervalFromBirthDate", () => {
  const at = (iso: string) => new Date(iso);

  it("a 15-year-old: age_over 15, below 16 until a UTC midnight a day before the 16th birthday", () => {
    // 16th birthday on 2027-03-20: capped at 35 days ahead when further, exact day-before when near
    expect(intervalFromBirthDate("2011-03-20", at("2027-03-01T10:00:00Z"))).toEqual({
      ageOver: 15,
      ageBelow: 16,
      belowUntil: Date.UTC(2027, 2, 19) / 1000,
    });
    const far = intervalFromBirthDate("2011-03-20", at("2026-06-01T10:00:00Z"));
    expect(far).toEqual({ ageOver: 15, ageBelow: 16, belowUntil: Date.UTC(2026, 5, 1) / 1000 + 35 * DAY });
  });

  it("13–15 give 16, 16–17 give 18, adults and a birthday a day away give no band; under 13 signs nothing", () => {
    const now = at("2026-06-15T12:00:00Z");
    expect(intervalFromBirthDate("2013-01-01", now)).toMatchObject({ ageOver: 13, ageBelow: 16 });
    expect(intervalFromBirthDate("2009-01-01", now)).toMatchObject({ ageOver: 16, ageBelow: 18 });
    expect(intervalFromBirthDate("2008-01-01", now)).toEqual({ ageOver: 18 });
    expect(intervalFromBirthDate("2000-01-01", now)).toEqual({ ageOver: 21 });
    // 18th birthday tomorrow: "surely below 18" ended already (time zones), so the grant proves 16+ only
    expect(intervalFromBirthDate("2008-06-16", now)).toEqual({ ageOver: 16 });
    expect(
      (() => {
        try {
          intervalFromBirthDate("2014-01-01", now);
        } catch (e) {
          return (e as ProviderError).code;
        }
      })(),
    ).toBe("NO_THRESHOLD_MET");
  });

  it("a birthday counts only 12 hours after its UTC midnight (the last time zone to reach it)", () => {
    expect(intervalFromBirthDate("2008-06-15", at("2026-06-15T11:59:59Z"))).toMatchObject({ ageOver: 16 });
    expect(intervalFromBirthDate("2008-06-15", at("2026-06-15T12:00:00Z"))).toEqual({ ageOver: 18 });
  });

  it("29 February: the birthday falls on 28 February in other years", () => {
    const r = intervalFromBirthDate("2012-02-29", at("2028-01-20T00:00:00Z"));
    // 16th birthday: 2028-02-29 exists (leap year)
    expect(r).toEqual({ ageOver: 15, ageBelow: 16, belowUntil: Date.UTC(2028, 1, 24) / 1000 });
    const r18 = intervalFromBirthDate("2012-02-29", at("2030-02-10T00:00:00Z"));
    expect(r18).toEqual({ ageOver: 16, ageBelow: 18, belowUntil: Date.UTC(2030, 1, 27) / 1000 });
  });

  it("property: below_until is a day multiple, in the future, before the birthday leaving the band, and coarse", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1990-01-01"), max: new Date("2020-12-31"), noInvalidDate: true }),
        fc.integer({ min: 0, max: 40 * 365 * DAY }),
        fc.constantFrom(1, 2, 7),
        (birth, offset, granularityDays) => {
          const birthDate = birth.toISOString().slice(0, 10);
          const now = new Date(
            Date.UTC(birth.getUTCFullYear(), birth.getUTCMonth(), birth.getUTCDate()) + offset * 1000,
          );
          let r: ReturnType<typeof intervalFromBirthDate>;
          try {
            r = intervalFromBirthDate(birthDate, now, { granularityDays });
          } catch (e) {
            expect((e as ProviderError).code).toBe("NO_THRESHOLD_MET");
            return;
          }
          if (r.ageBelow === undefined) return;
          const nowS = now.getTime() / 1000;
          const b = r.belowUntil!;
          expect(b % (granularityDays * DAY)).toBe(0);
          expect(b).toBeGreaterThan(nowS);
          expect(b).toBeLessThanOrEqual(nowS + 35 * DAY);
          // the earliest instant anywhere on Earth the person turns ageBelow: 14 h before that birthday's UTC midnight
          const y = birth.getUTCFullYear() + r.ageBelow;
          const leaps = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
          const feb29 = birth.getUTCMonth() === 1 && birth.getUTCDate() === 29;
          const turns =
            Date.UTC(y, birth.getUTCMonth(), feb29 && !leaps ? 28 : birth.getUTCDate()) / 1000 - 14 * 3600;
          expect(b).toBeLessThanOrEqual(turns);
          expect(r.ageBelow).toBeGreaterThan(r.ageOver);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("refuses a date that is not a real past date, naming the field", () => {
    for (const bad of ["2011-02-30", "2011-13-01", "20110101", "2099-01-01", ""]) {
      expect(() => intervalFromBirthDate(bad, new Date("2026-01-01T00:00:00Z"))).toThrow(/birthDate must be/);
    }
    expect(() => intervalFromBirthDate("2011-01-01", new Date("2026-01-01"), { granularityDays: 0 })).toThrow(
      /granularityDays/,
    );
  });
});
