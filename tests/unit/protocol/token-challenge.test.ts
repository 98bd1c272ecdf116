import { readFileSync } from "node:fs";
import { DecodeError, fromHex, ProtocolError, TokenChallenge, toHex } from "@blindgate/sdk/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

interface TokenVector {
  comment: string;
  token_type: string;
  issuer_name: string;
  redemption_context: string;
  origin_info: string;
  token_authenticator_input: string;
}
interface IssuanceVector {
  token_challenge: string;
}

const tokenVectors = JSON.parse(
  readFileSync(new URL("../../vectors/rfc9577-token.json", import.meta.url), "utf8"),
) as TokenVector[];
const issuanceVectors = JSON.parse(
  readFileSync(new URL("../../vectors/rfc9578-type2-issuance.json", import.meta.url), "utf8"),
) as IssuanceVector[];

const ascii = (hex: string) => new TextDecoder().decode(fromHex(hex));

describe("TokenChallenge: RFC 9577 token vectors", () => {
  describe.each(tokenVectors.map((v, i) => [i, v] as const))("vector %i", (_, v) => {
    const challenge = new TokenChallenge({
      tokenType: Number.parseInt(v.token_type, 16),
      issuerName: ascii(v.issuer_name),
      redemptionContext: fromHex(v.redemption_context),
      originInfo: v.origin_info === "" ? [] : ascii(v.origin_info).split(","),
    });
    // token_authenticator_input = token_type(2) || nonce(32) || challenge_digest(32) || token_key_id(32)
    const input = fromHex(v.token_authenticator_input);

    it("encodes the fields in RFC order and hashes to the vector's challenge_digest", async () => {
      const bytes = challenge.encode();
      const issuer = fromHex(v.issuer_name);
      const context = fromHex(v.redemption_context);
      const origin = fromHex(v.origin_info);
      const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
      expect(toHex(bytes)).toBe(
        v.token_type +
          hex(issuer.length, 4) +
          v.issuer_name +
          hex(context.length, 2) +
          v.redemption_context +
          hex(origin.length, 4) +
          v.origin_info,
      );
      expect(toHex(await challenge.digest())).toBe(toHex(input.subarray(34, 66)));
    });

    it("decodes back to the same fields", () => {
      const decoded = TokenChallenge.decode(challenge.encode());
      expect(decoded.tokenType).toBe(2);
      expect(decoded.issuerName).toBe("issuer.example");
      expect(toHex(decoded.redemptionContext)).toBe(v.redemption_context);
      expect(decoded.originInfo.join(",")).toBe(ascii(v.origin_info));
      expect(decoded.isCrossOrigin).toBe(v.origin_info === "");
      expect(decoded.equals(challenge)).toBe(true);
    });
  });
});

describe("TokenChallenge: RFC 9578 issuance vectors", () => {
  it.each(issuanceVectors.map((v) => [v.token_challenge]))(
    "%s decodes and re-encodes byte-exactly",
    (hex) => {
      expect(toHex(TokenChallenge.decode(fromHex(hex)).encode())).toBe(hex);
    },
  );
});

describe("TokenChallenge: construction", () => {
  it("crossOrigin has empty context and origin info, type 2 by default", () => {
    const c = TokenChallenge.crossOrigin("gateway.example");
    expect(toHex(c.encode())).toBe(`0002000f${toHex(new TextEncoder().encode("gateway.example"))}000000`);
    expect(c.isCrossOrigin).toBe(true);
    expect(c.allowsOrigin("any.example")).toBe(true);
    expect(TokenChallenge.crossOrigin("gateway.example", 1).tokenType).toBe(1);
  });

  it("matches origin names case-insensitively", () => {
    const c = new TokenChallenge({
      tokenType: 2,
      issuerName: "i.example",
      originInfo: ["Foo.example", "bar.example"],
    });
    expect(c.allowsOrigin("foo.EXAMPLE")).toBe(true);
    expect(c.allowsOrigin("baz.example")).toBe(false);
  });

  it("accepts server names with a port and IP literals", () => {
    const c = new TokenChallenge({
      tokenType: 2,
      issuerName: "issuer.example:8443",
      originInfo: ["[::1]:443"],
    });
    expect(TokenChallenge.decode(c.encode()).originInfo).toEqual(["[::1]:443"]);
  });

  it.each([
    ["token type out of range", { tokenType: 0x10000, issuerName: "i.example" }],
    ["fractional token type", { tokenType: 1.5, issuerName: "i.example" }],
    ["empty issuer", { tokenType: 2, issuerName: "" }],
    ["userinfo in issuer", { tokenType: 2, issuerName: "user@i.example" }],
    ["space in issuer", { tokenType: 2, issuerName: "i .example" }],
    ["non-ASCII issuer", { tokenType: 2, issuerName: "bücher.example" }],
    ["comma in an origin", { tokenType: 2, issuerName: "i.example", originInfo: ["a,b"] }],
    ["empty origin", { tokenType: 2, issuerName: "i.example", originInfo: [""] }],
    ["16-byte context", { tokenType: 2, issuerName: "i.example", redemptionContext: new Uint8Array(16) }],
  ])("refuses %s with ERR_ENCODE_VALUE", (_, init) => {
    expect(() => new TokenChallenge(init)).toThrow(expect.objectContaining({ code: "ERR_ENCODE_VALUE" }));
  });

  it("does not alias the caller's redemption context", () => {
    const context = new Uint8Array(32).fill(7);
    const c = new TokenChallenge({ tokenType: 2, issuerName: "i.example", redemptionContext: context });
    context[0] = 0;
    expect(c.redemptionContext[0]).toBe(7);
  });
});

describe("TokenChallenge.decode: refusals", () => {
  const valid = "0002000e6973737565722e6578616d706c6500000e6f726967696e2e6578616d706c65";
  it.each([
    ["empty input", "", "ERR_DECODE_LENGTH"],
    ["truncated origin_info", valid.slice(0, -2), "ERR_DECODE_LENGTH"],
    ["a trailing byte", `${valid}00`, "ERR_DECODE_TRAILING"],
    ["an empty issuer_name", "00020000000000", "ERR_DECODE_LENGTH"],
    ["a 1-byte redemption_context", "000200016901aa0000", "ERR_DECODE_LENGTH"],
    ["a 33-byte redemption_context", `000200016921${"00".repeat(33)}0000`, "ERR_DECODE_LENGTH"],
    ["a non-ASCII issuer byte", "00020001ff000000", "ERR_DECODE_VALUE"],
    ["a trailing comma in origin_info", "0002000169000002612c", "ERR_DECODE_VALUE"],
    ["a space in origin_info", "0002000169000003612062", "ERR_DECODE_VALUE"],
    ["two commas in origin_info", "0002000169000004612c2c62", "ERR_DECODE_VALUE"],
    ["userinfo in issuer_name", "00020003614062000000", "ERR_DECODE_VALUE"],
  ])("refuses %s", (_, hex, code) => {
    expect(() => TokenChallenge.decode(fromHex(hex))).toThrow(DecodeError);
    expect(() => TokenChallenge.decode(fromHex(hex))).toThrow(expect.objectContaining({ code }));
  });

  it("decodes from a subarray of a larger buffer (byteOffset respected)", () => {
    const inner = fromHex(valid);
    const outer = new Uint8Array(inner.length + 10).fill(0xee);
    outer.set(inner, 7);
    const view = outer.subarray(7, 7 + inner.length);
    expect(toHex(TokenChallenge.decode(view).encode())).toBe(valid);
  });
});

const serverName = fc.stringMatching(/^[a-z0-9](?:[a-z0-9.-]{0,30}[a-z0-9])?(?::[0-9]{1,5})?$/);
const challengeArb = fc
  .record({
    tokenType: fc.integer({ min: 0, max: 0xffff }),
    issuerName: serverName,
    redemptionContext: fc.oneof(
      fc.constant(new Uint8Array(0)),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
    ),
    originInfo: fc.array(serverName, { maxLength: 4 }),
  })
  .map((init) => new TokenChallenge(init));

describe("TokenChallenge: properties", () => {
  it("decode(encode(c)) equals c, also from an offset view", () => {
    fc.assert(
      fc.property(challengeArb, fc.nat({ max: 16 }), (c, pad) => {
        const bytes = c.encode();
        const outer = new Uint8Array(bytes.length + pad * 2).fill(0xab);
        outer.set(bytes, pad);
        const d = TokenChallenge.decode(outer.subarray(pad, pad + bytes.length));
        expect(d.tokenType).toBe(c.tokenType);
        expect(d.issuerName).toBe(c.issuerName);
        expect(d.originInfo).toEqual(c.originInfo);
        expect(toHex(d.redemptionContext)).toBe(toHex(c.redemptionContext));
        expect(toHex(d.encode())).toBe(toHex(bytes));
      }),
    );
  });

  it("random bytes only ever throw DecodeError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
        try {
          const c = TokenChallenge.decode(bytes);
          expect(toHex(c.encode())).toBe(toHex(bytes)); // whatever decodes is canonical
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });

  it("mutated valid encodings only ever throw DecodeError or re-encode exactly", () => {
    fc.assert(
      fc.property(
        challengeArb,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: -2, max: 2 }),
        (c, at, byte, cut) => {
          const bytes = c.encode();
          const mutated = bytes.slice(0, Math.max(0, bytes.length + Math.min(cut, 0)));
          if (mutated.length > 0) mutated[at % mutated.length] = byte;
          const input = cut > 0 ? new Uint8Array([...mutated, ...new Uint8Array(cut)]) : mutated;
          try {
            expect(toHex(TokenChallenge.decode(input).encode())).toBe(toHex(input));
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
        },
      ),
    );
  });
});
