import {
  type AgeInterval,
  buildDirectory,
  checkKeySet,
  checkRequestSchema,
  contains,
  formatInterval,
  intervalFromWire,
  intervalKey,
  isBand,
  type KeyLogEntry,
  keyCoversProof,
  keyLogCanonical,
  keyLogEntrySchema,
  keyLogHash,
  ProtocolError,
  parseDirectory,
  parseIntervalKey,
  parseIntervalList,
  usableTokenKeys,
  verifyKeyLog,
} from "@blindgate/sdk/protocol/internal";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/* The shared age-interval model: [from, below), a threshold has no below; bands beside thresholds on the wire. */

const interval = fc.oneof(
  fc.integer({ min: 1, max: 150 }).map((from): AgeInterval => ({ from })),
  fc
    .tuple(fc.integer({ min: 1, max: 149 }), fc.integer({ min: 1, max: 149 }))
    .map(([a, b]): AgeInterval => ({ from: Math.min(a, b), below: Math.max(a, b) + 1 })),
);

/** Membership of one age, the definition `contains` must agree with. */
const holds = (i: AgeInterval, age: number) => age >= i.from && (i.below === undefined || age < i.below);

describe("age intervals", () => {
  it("names, formats and parses: 13-16 is 13–15, 18 is 18+", () => {
    expect(intervalKey({ from: 13, below: 16 })).toBe("13-16");
    expect(intervalKey({ from: 18 })).toBe("18");
    expect(formatInterval({ from: 13, below: 16 })).toBe("13–15");
    expect(formatInterval({ from: 16, below: 18 })).toBe("16–17");
    expect(formatInterval({ from: 18 })).toBe("18+");
    expect(isBand({ from: 13, below: 18 })).toBe(true);
    expect(isBand({ from: 13 })).toBe(false);
    expect(parseIntervalList("13-16,16-18,13-18, 18")).toEqual([
      { from: 13, below: 16 },
      { from: 13, below: 18 },
      { from: 16, below: 18 },
      { from: 18 },
    ]);
  });

  it("contains(outer, inner) is inner ⊆ outer, age by age (property)", () => {
    fc.assert(
      fc.property(interval, interval, (outer, inner) => {
        const ages = Array.from({ length: 160 }, (_, i) => i);
        // inner ⊆ outer over all ages (a threshold reaches beyond 150: ages above 150 behave like 150)
        const subset =
          ages.every((a) => !holds(inner, a) || holds(outer, a)) &&
          !(inner.below === undefined && outer.below !== undefined);
        expect(contains(outer, inner)).toBe(subset);
        expect(keyCoversProof(outer, inner)).toBe(subset);
      }),
    );
  });

  it("the teen room [13,18) holds every band inside it and no threshold (no adult)", () => {
    const teen = { from: 13, below: 18 };
    expect(contains(teen, { from: 13, below: 16 })).toBe(true);
    expect(contains(teen, { from: 16, below: 18 })).toBe(true);
    expect(contains(teen, { from: 13 })).toBe(false);
    expect(contains(teen, { from: 18 })).toBe(false);
    expect(contains({ from: 18 }, { from: 13, below: 18 })).toBe(false);
  });

  it("parseIntervalKey(intervalKey(i)) is i; garbage only ever throws ProtocolError ERR_DECODE_VALUE", () => {
    fc.assert(
      fc.property(interval, (i) => {
        expect(parseIntervalKey(intervalKey(i))).toEqual(i);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (text) => {
        try {
          const i = parseIntervalKey(text);
          expect(i.from).toBeGreaterThanOrEqual(1);
          if (i.below !== undefined) expect(i.below).toBeGreaterThan(i.from);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
          expect((e as ProtocolError).code).toBe("ERR_DECODE_VALUE");
        }
      }),
    );
    for (const bad of ["16-13", "13-13", "0", "13-151", "a", "13-", "-16"]) {
      expect(() => parseIntervalKey(bad)).toThrow(ProtocolError);
    }
    expect(() => intervalFromWire(18, 18)).toThrow(ProtocolError);
  });
});

describe("directory: age-below beside age-over", () => {
  const key = new Uint8Array(300).fill(7);
  const directory = {
    issuerRequestUri: "/token-request",
    tokenKeys: [
      { tokenType: 2, tokenKey: key, notBefore: 10, notAfter: 20, ageOver: 13 },
      { tokenType: 2, tokenKey: key, notBefore: 10, notAfter: 20, ageOver: 13, ageBelow: 16 },
    ],
    creditKeys: [
      {
        actKey: new Uint8Array(32).fill(1),
        ageOver: 13,
        ageBelow: 18,
        notBefore: 1,
        issueUntil: 2,
        notAfter: 3,
      },
    ],
  };

  it("a threshold entry keeps its wire form exactly; a band entry adds only age-below", () => {
    const json = buildDirectory(directory);
    expect(Object.keys(json["token-keys"][0]!).sort()).toEqual([
      "age-over",
      "not-after",
      "not-before",
      "token-key",
      "token-type",
    ]);
    expect(json["token-keys"][1]).toMatchObject({ "age-over": 13, "age-below": 16 });
    expect(json["blindgate-credit-keys"]![0]).toMatchObject({ "age-over": 13, "age-below": 18 });
    expect(parseDirectory(JSON.parse(JSON.stringify(json)))).toEqual(directory);
  });

  it("a query for a threshold never returns a band key of the same age-over, and the reverse", () => {
    const d = parseDirectory(buildDirectory(directory));
    expect(usableTokenKeys(d, { ageOver: 13, now: 15 }).map((k) => k.ageBelow)).toEqual([undefined]);
    expect(usableTokenKeys(d, { ageOver: 13, ageBelow: 16, now: 15 }).map((k) => k.ageBelow)).toEqual([16]);
  });

  it("refuses age-below at or under age-over, or without age-over", () => {
    const json = buildDirectory(directory) as unknown as { "token-keys": Record<string, unknown>[] };
    for (const change of [
      { "age-below": 13 },
      { "age-below": 12 },
      { "age-over": undefined },
      { "age-below": 151 },
    ]) {
      const bad = structuredClone(json);
      Object.assign(bad["token-keys"][1]!, change);
      expect(() => parseDirectory(JSON.parse(JSON.stringify(bad)))).toThrow(ProtocolError);
    }
  });
});

describe("key log: band entries", () => {
  const base = {
    seq: 0,
    at: 100,
    event: "created" as const,
    keyId: "a".repeat(64),
    threshold: 13,
    spki: "AAAA",
    notBefore: 100,
    issueUntil: 200,
    validUntil: 300,
    prevHash: "",
  };

  it("a threshold entry's canonical text is the one it had before bands; a band appends age-below last", () => {
    expect(keyLogCanonical(base)).toBe(`[0,100,"created","${"a".repeat(64)}",13,"AAAA",100,200,300,""]`);
    expect(keyLogCanonical({ ...base, ageBelow: 16 })).toBe(
      `[0,100,"created","${"a".repeat(64)}",13,"AAAA",100,200,300,"",16]`,
    );
    expect(keyLogCanonical({ ...base, kind: "credit", ageBelow: 18 })).toBe(
      `[0,"credit",100,"created","${"a".repeat(64)}",13,"AAAA",100,200,300,"",18]`,
    );
  });

  it("a band's age-below is covered by the hash: changing it breaks the chain", async () => {
    const entry = { ...base, ageBelow: 16 };
    const hashed: KeyLogEntry = { ...entry, hash: await keyLogHash(entry) };
    expect(await verifyKeyLog([hashed])).toBe(true);
    expect(await verifyKeyLog([{ ...hashed, ageBelow: 18 }])).toBe(false);
    expect(await verifyKeyLog([{ ...hashed, ageBelow: undefined }])).toBe(false);
    expect(keyLogEntrySchema.safeParse(hashed).success).toBe(true);
    expect(keyLogEntrySchema.safeParse({ ...hashed, ageBelow: 1 }).success).toBe(false);
  });

  it("checkKeySet: at most two live keys per interval and kind; a band is its own group", async () => {
    const now = 150;
    const entries: KeyLogEntry[] = [];
    const add = async (id: number, threshold: number, ageBelow?: number) => {
      const e = {
        ...base,
        seq: entries.length,
        keyId: id.toString(16).padStart(64, "0"),
        threshold,
        ...(ageBelow === undefined ? {} : { ageBelow }),
        notBefore: 0,
        issueUntil: 100_000,
        validUntil: 200_000,
        prevHash: entries.at(-1)?.hash ?? "",
      };
      entries.push({ ...e, hash: await keyLogHash(e) });
    };
    // two threshold-13 keys and two 13-16 band keys: four keys of "age-over 13", two per interval: fine
    await add(1, 13);
    await add(2, 13);
    await add(3, 13, 16);
    await add(4, 13, 16);
    expect(checkKeySet(entries, now)).toEqual({ ok: true });
    await add(5, 13, 16);
    const verdict = checkKeySet(entries, now);
    expect(verdict).toMatchObject({ ok: false, problem: "too-many-live-keys", threshold: 13, ageBelow: 16 });
    if (!verdict.ok) expect(verdict.message).toContain("band 13-16");
  });

  it("checkKeySet: a key whose events disagree on age-below is refused", async () => {
    const a = { ...base, notBefore: 0, issueUntil: 100_000, validUntil: 200_000, ageBelow: 16 };
    const first: KeyLogEntry = { ...a, hash: await keyLogHash(a) };
    const b = { ...a, seq: 1, event: "published" as const, ageBelow: 18, prevHash: first.hash };
    const second: KeyLogEntry = { ...b, hash: await keyLogHash(b) };
    expect(checkKeySet([first, second], 150)).toMatchObject({ ok: false, problem: "inconsistent-key" });
  });
});

describe("check request: ageBelow", () => {
  it("takes an optional ageBelow above minAge, refuses anything else", () => {
    const token = "AAAA";
    expect(checkRequestSchema.safeParse({ token, minAge: 13, ageBelow: 18 }).success).toBe(true);
    expect(checkRequestSchema.safeParse({ token, minAge: 13 }).success).toBe(true);
    for (const ageBelow of [13, 12, 0, 151, 13.5, "18", null]) {
      expect(checkRequestSchema.safeParse({ token, minAge: 13, ageBelow }).success).toBe(false);
    }
  });
});
