import { readFileSync } from "node:fs";
import {
  buildDirectory,
  DIRECTORY_MEDIA_TYPE,
  DIRECTORY_PATH,
  fromHex,
  type IssuerDirectory,
  ProtocolError,
  parseDirectory,
  parseDirectoryText,
  selectTokenKey,
  TOKEN_REQUEST_MEDIA_TYPE,
  TOKEN_RESPONSE_MEDIA_TYPE,
  toBase64Url,
  toHex,
  usableTokenKeys,
} from "@blindgate/sdk/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

// pkS of the RFC 9578 type 0x0002 vectors: an RSASSA-PSS SPKI, 338 bytes.
const spkiHex = (
  JSON.parse(readFileSync(new URL("../../vectors/rfc9578-type2-issuance.json", import.meta.url), "utf8")) as {
    pkS: string;
  }[]
)[0]!.pkS;
const spki = fromHex(spkiHex);
const spki64 = toBase64Url(spki, true);

describe("issuer directory: constants", () => {
  it("uses the RFC 9578 well-known path and media types", () => {
    expect(DIRECTORY_PATH).toBe("/.well-known/private-token-issuer-directory");
    expect(DIRECTORY_MEDIA_TYPE).toBe("application/private-token-issuer-directory");
    expect(TOKEN_REQUEST_MEDIA_TYPE).toBe("application/private-token-request");
    expect(TOKEN_RESPONSE_MEDIA_TYPE).toBe("application/private-token-response");
  });
});

describe("parseDirectory", () => {
  it("parses the RFC 9578 §4 example shape (padded key, optional not-before)", () => {
    const d = parseDirectory({
      "issuer-request-uri": "https://issuer.example.net/request",
      "token-keys": [
        { "token-type": 2, "token-key": spki64, "not-before": 1686913811 },
        { "token-type": 2, "token-key": spki64 },
      ],
    });
    expect(d.issuerRequestUri).toBe("https://issuer.example.net/request");
    expect(d.tokenKeys).toHaveLength(2);
    expect(toHex(d.tokenKeys[0]!.tokenKey)).toBe(spkiHex);
    expect(d.tokenKeys[0]).toMatchObject({ tokenType: 2, notBefore: 1686913811 });
    expect(d.tokenKeys[1]).toEqual({ tokenType: 2, tokenKey: spki });
  });

  it("parses blindgate's age-over and not-after, tolerates unknown fields and unpadded keys", () => {
    const d = parseDirectory({
      "issuer-request-uri": "/token-request",
      "token-keys": [
        {
          "token-type": 2,
          "token-key": toBase64Url(spki),
          "age-over": 18,
          "not-before": 100,
          "not-after": 200,
          "x-other-issuer": { nested: true },
        },
      ],
      "x-extension": [1, 2, 3],
    });
    expect(d).toEqual({
      issuerRequestUri: "/token-request",
      tokenKeys: [{ tokenType: 2, tokenKey: spki, ageOver: 18, notBefore: 100, notAfter: 200 }],
    });
  });

  const key = { "token-type": 2, "token-key": spki64 };
  const withKey = (k: Record<string, unknown>) => ({
    "issuer-request-uri": "/r",
    "token-keys": [{ ...key, ...k }],
  });
  it.each<[string, unknown]>([
    ["null", null],
    ["an array", []],
    ["a string", "{}"],
    ["no request URI", { "token-keys": [key] }],
    ["no keys", { "issuer-request-uri": "/r" }],
    ["an empty key list", { "issuer-request-uri": "/r", "token-keys": [] }],
    ["too many keys", { "issuer-request-uri": "/r", "token-keys": Array.from({ length: 257 }, () => key) }],
    ["an empty request URI", { "issuer-request-uri": "", "token-keys": [key] }],
    ["a request URI with a space", { "issuer-request-uri": "https://a.example/x y", "token-keys": [key] }],
    ["a javascript: request URI", { "issuer-request-uri": "javascript:alert(1)", "token-keys": [key] }],
    ["a non-ASCII request URI", { "issuer-request-uri": "https://ä.example/r", "token-keys": [key] }],
    ["a numeric request URI", { "issuer-request-uri": 1, "token-keys": [key] }],
    ["a string token-type", withKey({ "token-type": "2" })],
    ["a fractional token-type", withKey({ "token-type": 2.5 })],
    ["a token-type above 65535", withKey({ "token-type": 65536 })],
    ["a missing token-key", { "issuer-request-uri": "/r", "token-keys": [{ "token-type": 2 }] }],
    ["an empty token-key", withKey({ "token-key": "" })],
    ["standard base64", withKey({ "token-key": "ab+/" })],
    ["bad padding", withKey({ "token-key": "abc==" })],
    ["a negative not-before", withKey({ "not-before": -1 })],
    ["a string not-before", withKey({ "not-before": "1686913811" })],
    ["a fractional not-after", withKey({ "not-after": 1.5 })],
    ["not-after before not-before", withKey({ "not-before": 200, "not-after": 200 })],
    ["age-over 0", withKey({ "age-over": 0 })],
    ["age-over 151", withKey({ "age-over": 151 })],
    ["age-over as a string", withKey({ "age-over": "18" })],
    ["age-over null", withKey({ "age-over": null })],
  ])("refuses %s with ERR_DIRECTORY", (_, json) => {
    expect(() => parseDirectory(json)).toThrow(expect.objectContaining({ code: "ERR_DIRECTORY" }));
  });

  it("names the field but never echoes the value", () => {
    try {
      parseDirectory(withKey({ "age-over": "secret-value" }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
      expect((e as Error).message).toContain("token-keys.0.age-over");
      expect((e as Error).message).not.toContain("secret-value");
    }
  });
});

describe("parseDirectoryText", () => {
  it("parses JSON text and refuses non-JSON and oversized text", () => {
    const text = JSON.stringify({
      "issuer-request-uri": "/r",
      "token-keys": [{ "token-type": 2, "token-key": spki64 }],
    });
    expect(parseDirectoryText(text).tokenKeys).toHaveLength(1);
    expect(() => parseDirectoryText("{")).toThrow(expect.objectContaining({ code: "ERR_DIRECTORY" }));
    expect(() => parseDirectoryText(" ".repeat(256 * 1024 + 1))).toThrow(
      expect.objectContaining({ code: "ERR_DIRECTORY" }),
    );
  });
});

describe("buildDirectory", () => {
  const directory: IssuerDirectory = {
    issuerRequestUri: "https://gateway.example/token-request",
    tokenKeys: [
      { tokenType: 2, tokenKey: spki, ageOver: 18, notBefore: 1000, notAfter: 2000 },
      { tokenType: 2, tokenKey: spki, ageOver: 13 },
    ],
  };

  it("writes RFC field names, padded base64url keys and optional fields only when set", () => {
    expect(JSON.stringify(buildDirectory(directory))).toBe(
      JSON.stringify({
        "issuer-request-uri": "https://gateway.example/token-request",
        "token-keys": [
          { "token-type": 2, "token-key": spki64, "not-before": 1000, "not-after": 2000, "age-over": 18 },
          { "token-type": 2, "token-key": spki64, "age-over": 13 },
        ],
      }),
    );
    expect(spki64.endsWith("=")).toBe(spki.length % 3 !== 0);
  });

  it("refuses what parseDirectory would refuse", () => {
    expect(() => buildDirectory({ ...directory, tokenKeys: [] })).toThrow(
      expect.objectContaining({ code: "ERR_DIRECTORY" }),
    );
    expect(() =>
      buildDirectory({ ...directory, tokenKeys: [{ tokenType: 2, tokenKey: spki, ageOver: 200 }] }),
    ).toThrow(expect.objectContaining({ code: "ERR_DIRECTORY" }));
  });
});

describe("selectTokenKey / usableTokenKeys", () => {
  const k = (ageOver: number, notBefore?: number, notAfter?: number, tokenType = 2) => ({
    tokenType,
    tokenKey: new Uint8Array([ageOver, notBefore ?? 0]),
    ageOver,
    ...(notBefore === undefined ? {} : { notBefore }),
    ...(notAfter === undefined ? {} : { notAfter }),
  });
  const directory: IssuerDirectory = {
    issuerRequestUri: "/r",
    tokenKeys: [k(18, 500, 900), k(18, 100, 600), k(13), k(18, undefined, undefined, 1)],
  };

  it("picks the first key whose not-before has passed and whose not-after has not (RFC 9578 §4 order)", () => {
    expect(selectTokenKey(directory, { ageOver: 18, now: 550 })?.notBefore).toBe(500);
    expect(selectTokenKey(directory, { ageOver: 18, now: 499 })?.notBefore).toBe(100);
    expect(selectTokenKey(directory, { ageOver: 18, now: 600 })?.notBefore).toBe(500);
    expect(selectTokenKey(directory, { ageOver: 18, now: 900 })).toBeUndefined();
    expect(selectTokenKey(directory, { ageOver: 18, now: 50 })).toBeUndefined();
    expect(selectTokenKey(directory, { ageOver: 13, now: 1 })?.ageOver).toBe(13);
    expect(selectTokenKey(directory, { ageOver: 18, tokenType: 1, now: 1 })?.tokenType).toBe(1);
  });

  it("lists every usable key in order for trial verification", () => {
    expect(usableTokenKeys(directory, { ageOver: 18, now: 550 }).map((x) => x.notBefore)).toEqual([500, 100]);
    expect(usableTokenKeys(directory, { now: 550 })).toHaveLength(3);
  });
});

describe("issuer directory: properties", () => {
  const keyArb = fc.record(
    {
      tokenType: fc.integer({ min: 0, max: 0xffff }),
      tokenKey: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      notBefore: fc.integer({ min: 0, max: 2 ** 40 }),
      notAfter: fc.integer({ min: 2 ** 40 + 1, max: 2 ** 41 }),
      ageOver: fc.integer({ min: 1, max: 150 }),
    },
    { requiredKeys: ["tokenType", "tokenKey"] },
  );
  const directoryArb = fc.record({
    issuerRequestUri: fc.oneof(
      fc.constant("/token-request"),
      fc.webUrl().filter((u) => /^[\x21-\x7e]+$/.test(u)),
    ),
    tokenKeys: fc.array(keyArb, { minLength: 1, maxLength: 5 }),
  });

  it("parseDirectory(JSON round trip of buildDirectory(d)) equals d", () => {
    fc.assert(
      fc.property(directoryArb, (d) => {
        const wire = JSON.parse(JSON.stringify(buildDirectory(d)));
        expect(parseDirectory(wire)).toEqual(d);
      }),
    );
  });

  it("random JSON only ever throws ProtocolError", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        try {
          parseDirectory(json);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("mutated directories only ever throw ProtocolError", () => {
    const base = { "issuer-request-uri": "/r", "token-keys": [{ "token-type": 2, "token-key": spki64 }] };
    const field = fc.constantFrom("token-type", "token-key", "not-before", "not-after", "age-over", "other");
    fc.assert(
      fc.property(field, fc.jsonValue(), fc.boolean(), (name, value, top) => {
        const json = top
          ? { ...base, [name === "other" ? "issuer-request-uri" : "token-keys"]: value }
          : { ...base, "token-keys": [{ ...base["token-keys"][0], [name]: value }] };
        try {
          parseDirectory(json);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("random text only ever throws ProtocolError", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseDirectoryText(text);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
