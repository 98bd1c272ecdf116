import { describe, expect, it } from "vitest";
import type { EuAvError } from "../../../providers/eu-av/errors.js";
import { bandElements, parseBand } from "../../../providers/eu-av/request.js";
import { bandFromClaims } from "../../../providers/eu-av/verify-presentation.js";

/* age_over_NN = false read as an upper bound: the band's answer from the disclosed claims alone. */

const T = [13, 15, 16, 18, 21];
const band = { from: 13, below: 16 };
const now = new Date(Date.UTC(2031, 4, 1, 12));
const until = new Date(Date.UTC(2031, 4, 20, 23, 59, 59));
const midnight = Date.UTC(2031, 4, 20) / 1000;
const claims = (o: Record<number, boolean>) => new Map(Object.entries(o).map(([k, v]) => [Number(k), v]));
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as EuAvError).code;
  }
  return "accepted";
};

describe("bandFromClaims", () => {
  it("both bounds proved: the band, below_until the MSO's validUntil floored to a UTC midnight", () => {
    expect(bandFromClaims(claims({ 13: true, 16: false }), band, until, T, now)).toEqual({
      ageOver: 13,
      ageBelow: 16,
      belowUntil: midnight,
    });
    expect(midnight % 86_400).toBe(0);
  });

  it("below_until is capped 35 days from now (a long-lived attestation makes no long-lived band), and none if past", () => {
    const far = new Date(Date.UTC(2032, 0, 1));
    expect(bandFromClaims(claims({ 13: true, 16: false }), band, far, T, now).belowUntil).toBe(
      Date.UTC(2031, 5, 5) / 1000,
    );
    const today = new Date(Date.UTC(2031, 4, 1, 23));
    expect(bandFromClaims(claims({ 13: true, 16: false }), band, today, T, now)).toEqual({ ageOver: 13 });
  });

  it("only the lower bound (an adult asked for a teen band): a threshold, no band", () => {
    expect(bandFromClaims(claims({ 13: true, 16: true }), band, until, T, now)).toEqual({ ageOver: 16 });
    expect(bandFromClaims(claims({ 13: true }), band, until, T, now)).toEqual({ ageOver: 13 });
  });

  it("under the band, only the upper bound, or neither: refused with their codes", () => {
    expect(code(() => bandFromClaims(claims({ 13: false, 16: false }), band, until, T, now))).toBe(
      "ERR_UNDER_AGE",
    );
    expect(code(() => bandFromClaims(claims({ 16: false }), band, until, T, now))).toBe("ERR_AGE_CLAIMS");
    expect(code(() => bandFromClaims(claims({ 18: true }), band, until, T, now))).toBe("ERR_AGE_CLAIMS");
    // contradictions stay refused
    expect(code(() => bandFromClaims(claims({ 13: true, 16: false, 18: true }), band, until, T, now))).toBe(
      "ERR_AGE_CLAIMS",
    );
  });

  it("asks for the two bounds only; bands parse as from-below", () => {
    expect(bandElements(band)).toEqual(["age_over_16", "age_over_13"]);
    expect(parseBand("16-18")).toEqual({ from: 16, below: 18 });
    expect(Number.isNaN(parseBand("x").from)).toBe(true);
  });
});
