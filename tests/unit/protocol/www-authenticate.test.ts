import { readFileSync } from "node:fs";
import {
  formatWwwAuthenticate,
  fromHex,
  type ParsedChallenge,
  ProtocolError,
  parseWwwAuthenticate,
  TokenChallenge,
  toBase64Url,
  toHex,
} from "@blindgate/sdk/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

type HeaderVector = Record<string, string | number>;
const vectors = JSON.parse(
  readFileSync(new URL("../../vectors/rfc9577-header.json", import.meta.url), "utf8"),
) as HeaderVector[];

/** The challenges a vector lists, as (token-type-i, token-key-i, max-age-i, token-challenge-i). */
function listed(v: HeaderVector) {
  const out: { tokenType: number; tokenKey: string; maxAge: number; challenge: string }[] = [];
  for (let i = 0; `token-challenge-${i}` in v; i++) {
    out.push({
      tokenType: Number(v[`token-type-${i}`]),
      tokenKey: String(v[`token-key-${i}`]),
      maxAge: Number(v[`max-age-${i}`]),
      challenge: String(v[`token-challenge-${i}`]),
    });
  }
  return out;
}

const hexes = (parsed: ParsedChallenge[]) =>
  parsed.map((p) => ({
    tokenType: p.challenge.tokenType,
    tokenKey: toHex(p.tokenKey),
    maxAge: p.maxAge,
    challenge: toHex(p.challengeBytes),
  }));

describe("WWW-Authenticate: RFC 9577 header vectors", () => {
  describe.each(vectors.map((v, i) => [i, v] as const))("vector %i", (_, v) => {
    const header = String(v["WWW-Authenticate"]);
    const expected = listed(v);

    it("parses every challenge, key and max-age byte-exactly (unknown attribute ignored)", () => {
      const parsed = parseWwwAuthenticate(header);
      expect(hexes(parsed)).toEqual(expected);
      for (const p of parsed) expect(toHex(p.challenge.encode())).toBe(toHex(p.challengeBytes));
    });

    it("builds the vector's header byte-exactly, but for the unknown attribute we never emit", () => {
      // The vector adds `,unknownChallengeAttribute="ignore-me"` to show clients must ignore it; without it the
      // header is exactly what formatWwwAuthenticate writes.
      const withoutUnknown = header.replaceAll(',unknownChallengeAttribute="ignore-me"', "");
      expect(withoutUnknown).not.toBe(header);
      const built = formatWwwAuthenticate(
        expected.map((e) => ({
          challenge: fromHex(e.challenge),
          tokenKey: fromHex(e.tokenKey),
          maxAge: e.maxAge,
        })),
      );
      expect(built).toBe(withoutUnknown);
      expect(hexes(parseWwwAuthenticate(built))).toEqual(expected);
    });

    it("parses the same values unquoted, unpadded, lower-cased and with other schemes around", () => {
      const mangled = expected
        .map((e) => {
          const c = toBase64Url(fromHex(e.challenge));
          const k = toBase64Url(fromHex(e.tokenKey));
          return `privatetoken CHALLENGE = ${c} ,Token-Key=${k},  realm="a, b",MAX-AGE=${e.maxAge}`;
        })
        .join(' , Basic realm="x",');
      expect(hexes(parseWwwAuthenticate(`Bearer error="invalid_token", ${mangled}, Negotiate`))).toEqual(
        expected,
      );
    });
  });
});

const issuerKey = new Uint8Array([1, 2, 3, 4, 5]);
const challenge = TokenChallenge.crossOrigin("issuer.example");
const c64 = toBase64Url(challenge.encode(), true);
const k64 = toBase64Url(issuerKey, true);

describe("WWW-Authenticate: building", () => {
  it("writes the RFC layout, with max-age only when given", () => {
    expect(formatWwwAuthenticate([{ challenge, tokenKey: issuerKey }])).toBe(
      `PrivateToken challenge="${c64}", token-key="${k64}"`,
    );
    expect(formatWwwAuthenticate([{ challenge, tokenKey: issuerKey, maxAge: 0 }])).toBe(
      `PrivateToken challenge="${c64}", token-key="${k64}", max-age="0"`,
    );
  });

  it.each([
    ["no entry", []],
    ["an empty key", [{ challenge, tokenKey: new Uint8Array(0) }]],
    ["a negative max-age", [{ challenge, tokenKey: issuerKey, maxAge: -1 }]],
    ["a fractional max-age", [{ challenge, tokenKey: issuerKey, maxAge: 1.5 }]],
    [
      "challenge bytes that are no TokenChallenge",
      [{ challenge: new Uint8Array([0, 2]), tokenKey: issuerKey }],
    ],
  ])("refuses %s", (_, entries) => {
    expect(() => formatWwwAuthenticate(entries)).toThrow(ProtocolError);
  });
});

describe("WWW-Authenticate: parsing", () => {
  it("returns [] when no PrivateToken challenge is present", () => {
    expect(parseWwwAuthenticate('Basic realm="x", Negotiate')).toEqual([]);
    expect(parseWwwAuthenticate("")).toEqual([]);
  });

  it("skips a PrivateToken challenge without token-key (out-of-band key, unusable here)", () => {
    const parsed = parseWwwAuthenticate(
      `PrivateToken challenge="${c64}", PrivateToken challenge="${c64}", token-key="${k64}"`,
    );
    expect(parsed).toHaveLength(1);
  });

  it("keeps the received challenge bytes for challenge_digest", () => {
    const [p] = parseWwwAuthenticate(`PrivateToken challenge=${c64}, token-key=${k64}`);
    expect(p && toHex(p.challengeBytes)).toBe(toHex(challenge.encode()));
    expect(p?.challenge.equals(challenge)).toBe(true);
    expect(p && "maxAge" in p).toBe(false);
  });

  it.each([
    ["a challenge without the challenge parameter", `PrivateToken token-key="${k64}"`],
    ["a PrivateToken token68", `PrivateToken ${c64}`],
    [
      "a challenge that is not base64url",
      `PrivateToken challenge="${c64.replace("A", "+")}", token-key="${k64}"`,
    ],
    ["a challenge that is no TokenChallenge", `PrivateToken challenge="AAIA", token-key="${k64}"`],
    ["an empty challenge", `PrivateToken challenge="", token-key="${k64}"`],
    ["a key that is not base64url", `PrivateToken challenge="${c64}", token-key="a/b="`],
    ["an empty key", `PrivateToken challenge="${c64}", token-key=""`],
    ["a non-numeric max-age", `PrivateToken challenge="${c64}", token-key="${k64}", max-age="ten"`],
    ["a negative max-age", `PrivateToken challenge="${c64}", token-key="${k64}", max-age=-1`],
    ["an 11-digit max-age", `PrivateToken challenge="${c64}", token-key="${k64}", max-age=12345678901`],
    [
      "a repeated challenge parameter",
      `PrivateToken challenge="${c64}", Challenge="${c64}", token-key="${k64}"`,
    ],
    [
      "malformed syntax elsewhere in the value",
      `PrivateToken challenge="${c64}", token-key="${k64}", Basic "x"`,
    ],
    ["an unterminated quote", `PrivateToken challenge="${c64}, token-key="${k64}`],
  ])("refuses %s with ERR_HEADER_SYNTAX", (_, value) => {
    expect(() => parseWwwAuthenticate(value)).toThrow(expect.objectContaining({ code: "ERR_HEADER_SYNTAX" }));
  });

  it("bounds the input length", () => {
    const value = `PrivateToken challenge="${c64}", token-key="${k64}"`;
    expect(() => parseWwwAuthenticate(value, { maxLength: value.length - 1 })).toThrow(
      expect.objectContaining({ code: "ERR_HEADER_SYNTAX" }),
    );
    expect(() => parseWwwAuthenticate(`Basic realm="${"x".repeat(40_000)}"`)).toThrow(
      expect.objectContaining({ code: "ERR_HEADER_SYNTAX" }),
    );
  });
});

describe("WWW-Authenticate: properties", () => {
  const serverName = fc.stringMatching(/^[a-z0-9](?:[a-z0-9.-]{0,20}[a-z0-9])?$/);
  const entry = fc.record({
    challenge: fc
      .record({
        tokenType: fc.integer({ min: 0, max: 0xffff }),
        issuerName: serverName,
        redemptionContext: fc.oneof(
          fc.constant(new Uint8Array(0)),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
        ),
        originInfo: fc.array(serverName, { maxLength: 3 }),
      })
      .map((init) => new TokenChallenge(init)),
    tokenKey: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    maxAge: fc.option(fc.integer({ min: 0, max: 9_999_999_999 }), { nil: undefined }),
  });

  it("parse(format(entries)) gives the entries back", () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 4 }), (entries) => {
        const header = formatWwwAuthenticate(
          entries.map(({ maxAge, ...rest }) => (maxAge === undefined ? rest : { ...rest, maxAge })),
        );
        const parsed = parseWwwAuthenticate(header);
        expect(parsed).toHaveLength(entries.length);
        parsed.forEach((p, i) => {
          const e = entries[i]!;
          expect(toHex(p.challengeBytes)).toBe(toHex(e.challenge.encode()));
          expect(toHex(p.tokenKey)).toBe(toHex(e.tokenKey));
          expect(p.maxAge).toBe(e.maxAge);
        });
      }),
    );
  });

  it("random and mutated header values only ever throw ProtocolError", () => {
    const valid = formatWwwAuthenticate([{ challenge, tokenKey: issuerKey, maxAge: 10 }]);
    const mutated = fc
      .tuple(fc.nat(), fc.nat({ max: 4 }), fc.string({ maxLength: 3 }))
      .map(([at, drop, insert]) => {
        const i = at % (valid.length + 1);
        return valid.slice(0, i) + insert + valid.slice(i + drop);
      });
    fc.assert(
      fc.property(fc.oneof(fc.string(), mutated), (value) => {
        try {
          parseWwwAuthenticate(value);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
