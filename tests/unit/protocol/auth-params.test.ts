import {
  type AuthChallenge,
  ProtocolError,
  parseAuthChallenges,
  quoteString,
} from "@blindgate/sdk/protocol/internal";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const plain = (challenges: AuthChallenge[]) =>
  challenges.map((c) => ({
    scheme: c.scheme,
    ...(c.token68 === undefined ? {} : { token68: c.token68 }),
    params: Object.fromEntries(c.params),
  }));

describe("parseAuthChallenges (RFC 9110 §11.6.1)", () => {
  it.each<[string, string, ReturnType<typeof plain>]>([
    ["a bare scheme", "Negotiate", [{ scheme: "Negotiate", params: {} }]],
    [
      "token68",
      "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
      [{ scheme: "Basic", token68: "YWxhZGRpbjpvcGVuc2VzYW1l", params: {} }],
    ],
    ["token68 with padding", "Basic YQ==", [{ scheme: "Basic", token68: "YQ==", params: {} }]],
    ["token68 ending in one '='", "Basic abc=", [{ scheme: "Basic", token68: "abc=", params: {} }]],
    ["token68 that looks like a valueless parameter", "X a= ", [{ scheme: "X", token68: "a=", params: {} }]],
    [
      "params, case-folded names, quoted and unquoted values",
      'Digest Realm="a b", NONCE=xyz',
      [{ scheme: "Digest", params: { realm: "a b", nonce: "xyz" } }],
    ],
    ["BWS around '='", 'X a = b ,c=\t"d"', [{ scheme: "X", params: { a: "b", c: "d" } }]],
    ["quoted-pair escapes", 'X a="q\\"uo\\\\te\\d"', [{ scheme: "X", params: { a: 'q"uo\\ted' } }]],
    ["commas and spaces inside quotes", 'X a=", b=c, Y d"', [{ scheme: "X", params: { a: ", b=c, Y d" } }]],
    ["an empty quoted value", 'X a=""', [{ scheme: "X", params: { a: "" } }]],
    ["obs-text in quotes", 'X a="\u00e9"', [{ scheme: "X", params: { a: "\u00e9" } }]],
    [
      "several challenges with empty list elements and odd spacing",
      ' ,Basic realm="r" , ,  PrivateToken  challenge=abc==,token-key="k",, Negotiate ,',
      [
        { scheme: "Basic", params: { realm: "r" } },
        { scheme: "PrivateToken", params: { challenge: "abc==", "token-key": "k" } },
        { scheme: "Negotiate", params: {} },
      ],
    ],
    [
      "a scheme after a token68 challenge",
      "Basic YQ==, Bearer realm=x",
      [
        { scheme: "Basic", token68: "YQ==", params: {} },
        { scheme: "Bearer", params: { realm: "x" } },
      ],
    ],
    ["an empty value", "", []],
    ["only separators", " , ,\t", []],
  ])("parses %s", (_, value, expected) => {
    expect(plain(parseAuthChallenges(value))).toEqual(expected);
  });

  it.each([
    ["an unterminated quoted-string", 'X a="abc'],
    ["a dangling backslash", 'X a="abc\\'],
    ["a control character in quotes", 'X a="a\u0001"'],
    ["a character above U+00FF in quotes", 'X a="\u0100"'],
    ["a character above U+00FF in a token", "X a=\u0100"],
    ["a stray '=' after parameters", "X a=b, =c"],
    ["a missing value before a comma", "X a=, b=c"],
    ["a repeated parameter (case-insensitive)", "X a=1, A=2"],
    ["text after a value", "X a=b c"],
    ["text after token68", "Basic YQ== x"],
    ["'=' after the scheme", "X=1"],
    ["a lone '='", "="],
    ["a quote for a scheme", '"X" a=b'],
    ["a value with an inner '='", "X a=b=c"],
    ["a parameter list after a bare scheme", "Basic, realm=x"],
    ["a semicolon separator", "X a=b; c=d"],
  ])("refuses %s with ERR_HEADER_SYNTAX", (_, value) => {
    expect(() => parseAuthChallenges(value)).toThrow(expect.objectContaining({ code: "ERR_HEADER_SYNTAX" }));
  });

  it("refuses values longer than the bound before scanning", () => {
    const value = `X a="${"b".repeat(100)}"`;
    expect(parseAuthChallenges(value, value.length)).toHaveLength(1);
    expect(() => parseAuthChallenges(value, value.length - 1)).toThrow(
      expect.objectContaining({ code: "ERR_HEADER_SYNTAX" }),
    );
  });

  it("parses a value of the maximal default length", () => {
    const many = Array.from({ length: 2000 }, (_, i) => `p${i}=v`).join(", ");
    expect(parseAuthChallenges(`X ${many}`)[0]?.params.size).toBe(2000);
  });
});

describe("quoteString", () => {
  it("escapes quotes and backslashes and round-trips through the parser", () => {
    expect(quoteString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(parseAuthChallenges(`X v=${quoteString('a"b\\c')}`)[0]?.params.get("v")).toBe('a"b\\c');
  });

  it("refuses control characters and characters above U+00FF", () => {
    expect(() => quoteString("a\nb")).toThrow(expect.objectContaining({ code: "ERR_ENCODE_VALUE" }));
    expect(() => quoteString("\u0100")).toThrow(ProtocolError);
  });
});

describe("parseAuthChallenges: properties", () => {
  const tchars = "!#$%&'*+-.^_`|~0123456789abcXYZ";
  const token = fc.string({ unit: fc.constantFrom(...tchars), minLength: 1, maxLength: 8 });
  const qdtext = fc.string({
    unit: fc.constantFrom("a", " ", "\t", '"', "\\", ",", "=", "\u00e9"),
    maxLength: 10,
  });
  const challenge = fc.record({
    scheme: token,
    params: fc.uniqueArray(fc.tuple(token, qdtext), {
      selector: ([k]) => k.toLowerCase(),
      minLength: 1,
      maxLength: 4,
    }),
  });

  it("formatted challenges parse back to the same schemes and parameters", () => {
    fc.assert(
      fc.property(
        fc.array(challenge, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(",", ", ", " ,\t"),
        (cs, sep) => {
          const value = cs
            .map((c) => `${c.scheme} ${c.params.map(([k, v]) => `${k}=${quoteString(v)}`).join(sep)}`)
            .join(sep);
          const parsed = parseAuthChallenges(value);
          expect(parsed.map((c) => c.scheme)).toEqual(cs.map((c) => c.scheme));
          parsed.forEach((c, i) => {
            expect([...c.params]).toEqual(cs[i]?.params.map(([k, v]) => [k.toLowerCase(), v]));
          });
        },
      ),
    );
  });

  it("any string only ever throws ProtocolError", () => {
    const alphabet = fc.constantFrom(
      "a",
      "Z",
      "=",
      ",",
      " ",
      "\t",
      '"',
      "\\",
      "/",
      "+",
      "-",
      "\u0001",
      "\u00ff",
      "\u0100",
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 60 })), (value) => {
        try {
          parseAuthChallenges(value);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
