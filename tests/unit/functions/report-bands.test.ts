import { type KeyLogEntry, reportBodySchema } from "@blindgate/sdk/protocol/internal";
import { describe, expect, it } from "vitest";
import { buildReport } from "../../../functions/services/report.js";
import { COUNTERS } from "../../../functions/services/report-counts.js";

/* The transparency report per age interval: band keys' epochs and key events carry their band; providers their band grants. */

const DAY = "2031-03-02";
const at = Date.parse(`${DAY}T10:00:00Z`) / 1000;
const id = (n: number) => n.toString(16).padStart(64, "0");
const entry = (seq: number, keyId: string, threshold: number, ageBelow?: number): KeyLogEntry => ({
  seq,
  at,
  event: "created",
  keyId,
  threshold,
  ...(ageBelow === undefined ? {} : { ageBelow }),
  spki: "AAAA",
  notBefore: at,
  issueUntil: at + 86_400,
  validUntil: at + 2 * 86_400,
  prevHash: seq === 0 ? "" : "a".repeat(64),
  hash: "b".repeat(64),
});

describe("report per interval", () => {
  it("counts a band key under its band, beside the threshold key of the same age-over, and a provider's band grants", () => {
    const counters = {
      [COUNTERS.issued(id(1), 13)]: 25,
      [COUNTERS.issued(id(2), 13, 16)]: 31,
      [COUNTERS.accepted(id(2), 13, 16)]: 12,
      [COUNTERS.grants("teen-checks")]: 40,
      [COUNTERS.bandGrants("teen-checks")]: 22,
      [COUNTERS.tokens("teen-checks")]: 56,
      [COUNTERS.grants("adult-checks")]: 15,
    };
    const body = buildReport(
      DAY,
      "gateway.example",
      id(9),
      "",
      counters,
      [
        { id: "teen-checks", monthlyQuota: 1000 },
        { id: "adult-checks", monthlyQuota: 1000 },
      ],
      [entry(0, id(1), 13), entry(1, id(2), 13, 16)],
    );
    expect(reportBodySchema.parse(body)).toEqual(body);
    expect(body.epochs).toEqual([
      { keyId: id(1), threshold: 13, issued: 20, accepted: 0 },
      { keyId: id(2), threshold: 13, ageBelow: 16, issued: 30, accepted: 10 },
    ]);
    expect(body.keyEvents.map((e) => e.ageBelow)).toEqual([undefined, 16]);
    expect(body.providers).toEqual([
      { id: "adult-checks", grants: 10, tokens: 0, monthlyQuota: 1000 },
      { id: "teen-checks", grants: 40, bandGrants: 20, tokens: 50, monthlyQuota: 1000 },
    ]);
  });
});
