import { readFileSync } from "node:fs";
import {
  formatAuthorization,
  fromHex,
  ProtocolError,
  parseAuthorization,
  toBase64Url,
  toHex,
} from "@blindgate/sdk/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

// A type 0x0002 Token from the RFC 9578 vectors (354 bytes); the header layer treats it as opaque bytes.
const vectors = JSON.parse(
  readFileSync(new URL("../../vectors/rfc9578-type2-issuance.json", import.meta.url), "utf8"),
) as { token: string }[];
const token = fromHex(vectors[0]!.token);
const padded = toBase64Url(token, true);

describe("Authorization: PrivateToken (RFC 9577 §2.2.2)", () => {
  it("formats the RFC layout with a quoted, padded base64url token", () => {
    expect(formatAuthorization(token)).toBe(`PrivateToken token="${padded}"`);
    expect(token).toHaveLength(354);
    expect(formatAuthorization(new Uint8Array([1, 2, 3, 4, 5]))).toBe('PrivateToken token="AQIDBAU="');
    expect(toHex(parseAuthorization(formatAuthorization(token)))).toBe(toHex(token));
  });

  it.each([
    ["unquoted", `PrivateToken token=${padded}`],
    ["case-insensitive names", `privatetoken TOKEN=${padded}`],
    ["BWS and surrounding OWS", `  PrivateToken   token =\t"${padded}"  `],
    ["unknown parameters around", `PrivateToken realm="r", token="${padded}", x=y`],
    ["a trailing empty list element", `PrivateToken token="${padded}",`],
  ])("parses %s", (_, value) => {
    expect(toHex(parseAuthorization(value))).toBe(toHex(token));
  });

  it.each([
    ["an empty value", ""],
    ["another scheme", `Bearer token="${padded}"`],
    ["two credentials", `PrivateToken token="${padded}", Basic YQ==`],
    ["two PrivateToken credentials", `PrivateToken token="${padded}", PrivateToken token="${padded}"`],
    ["a missing token", 'PrivateToken realm="r"'],
    ["token68 instead of token=", `PrivateToken ${padded}`],
    ["a repeated token", `PrivateToken token="${padded}", Token="${padded}"`],
    ["an empty token", 'PrivateToken token=""'],
    ["standard base64", 'PrivateToken token="ab+/"'],
    ["bad padding", 'PrivateToken token="abc=="'],
    ["a bare scheme", "PrivateToken"],
    ["garbage after the value", `PrivateToken token="${padded}" x`],
  ])("refuses %s with ERR_HEADER_SYNTAX", (_, value) => {
    expect(() => parseAuthorization(value)).toThrow(expect.objectContaining({ code: "ERR_HEADER_SYNTAX" }));
  });

  it("accepts padded and unpadded base64url", () => {
    expect([...parseAuthorization('PrivateToken token="AQIDBAU="')]).toEqual([1, 2, 3, 4, 5]);
    expect([...parseAuthorization("PrivateToken token=AQIDBAU")]).toEqual([1, 2, 3, 4, 5]);
    expect([...parseAuthorization("PrivateToken token=AQIDBAU=")]).toEqual([1, 2, 3, 4, 5]);
  });

  it("bounds the input length (8 KiB by default)", () => {
    const big = `PrivateToken token="${toBase64Url(new Uint8Array(7000), true)}"`;
    expect(() => parseAuthorization(big)).toThrow(expect.objectContaining({ code: "ERR_HEADER_SYNTAX" }));
    expect(parseAuthorization(big, { maxLength: big.length })).toHaveLength(7000);
  });

  it("refuses to format an empty token", () => {
    expect(() => formatAuthorization(new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: "ERR_ENCODE_VALUE" }),
    );
  });
});

describe("Authorization: properties", () => {
  it("parse(format(bytes)) is the identity", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), (bytes) => {
        expect(toHex(parseAuthorization(formatAuthorization(bytes)))).toBe(toHex(bytes));
      }),
    );
  });

  it("random and mutated values only ever throw ProtocolError", () => {
    const valid = formatAuthorization(token.subarray(0, 40));
    const mutated = fc
      .tuple(fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 3 }))
      .map(([at, drop, insert]) => {
        const i = at % (valid.length + 1);
        return valid.slice(0, i) + insert + valid.slice(i + drop);
      });
    fc.assert(
      fc.property(fc.oneof(fc.string(), mutated), (value) => {
        try {
          expect(parseAuthorization(value).length).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
