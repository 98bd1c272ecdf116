import { generateKeyPairSync } from "node:crypto";
import { createNodeTokenVerifier } from "@blindgate/sdk/node";
import {
  createTokenVerifier,
  DecodeError,
  ProtocolError,
  TokenChallenge,
  toPssSpki,
  VerificationError,
} from "@blindgate/sdk/protocol";
import { defaultVerifierFactory } from "@blindgate/sdk/site";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mintToken, thresholdKey } from "../site/fixtures.js";

/*
 * The protocol core's one token verifier, on both of its backends (WebCrypto: any runtime; OpenSSL: Node), against
 * tokens signed by node:crypto with RFC 9578 (id-RSASSA-PSS) SPKIs. The two must agree on every input.
 */

const challenge = TokenChallenge.crossOrigin("gateway.example").encode();
const factories = [
  ["WebCrypto", createTokenVerifier],
  ["node:crypto", createNodeTokenVerifier],
] as const;

describe("the site gate's default verifier", () => {
  it("is the OpenSSL-backed one on Node (picked by the package's node condition)", () => {
    expect(defaultVerifierFactory).toBe(createNodeTokenVerifier);
  });
});

describe.each(factories)("token verifier on %s", (_name, factory) => {
  it("verifies a type 0x0002 token and returns its key's meta and id", async () => {
    const k18 = thresholdKey(18);
    const k21 = thresholdKey(21);
    const verifier = await factory([
      { spki: k18.spki, meta: "eighteen" },
      { spki: k21.spki, meta: "twenty-one" },
    ]);
    const result = await verifier.verify(mintToken(k21, "gateway.example"), { challenge });
    expect(result.meta).toBe("twenty-one");
    expect(Buffer.from(result.tokenKeyId).toString("hex")).toBe(k21.keyId);
  });

  it("refuses another challenge, an unknown key, and a flipped bit anywhere, with typed errors only", async () => {
    const key = thresholdKey(18);
    const verifier = await factory([{ spki: key.spki, meta: 18 }]);
    const token = mintToken(key, "gateway.example");
    const other = TokenChallenge.crossOrigin("other.example").encode();
    await expect(verifier.verify(token, { challenge: other })).rejects.toMatchObject({
      code: "ERR_CHALLENGE_MISMATCH",
    });
    await expect(
      verifier.verify(mintToken(thresholdKey(18), "gateway.example"), { challenge }),
    ).rejects.toMatchObject({ code: "ERR_UNKNOWN_KEY" });
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: token.length * 8 - 1 }), async (bit) => {
        const bad = token.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        const error = await verifier.verify(bad, { challenge }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error instanceof VerificationError || error instanceof DecodeError).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses, or with skipInvalidKeys leaves out, keys that are not RSA-2048 SPKIs in minimal DER", async () => {
    const key = thresholdKey(18);
    const notSpki = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]);
    const rsa3072 = toPssSpki(
      new Uint8Array(
        generateKeyPairSync("rsa", { modulusLength: 3072 }).publicKey.export({ type: "spki", format: "der" }),
      ),
    );
    // A non-minimal DER length (0x82 0x01 0x22 written as 0x83 0x00 0x01 0x22) around the same key.
    const nonMinimal = new Uint8Array([0x30, 0x83, 0x00, ...key.spki.subarray(2)]);
    nonMinimal[3] = key.spki[2]!;
    for (const bad of [notSpki, rsa3072, nonMinimal]) {
      await expect(factory([{ spki: bad, meta: 0 }])).rejects.toBeInstanceOf(ProtocolError);
    }
    const verifier = await factory(
      [
        { spki: notSpki, meta: 0 },
        { spki: rsa3072, meta: 0 },
        { spki: key.spki, meta: 18 },
      ],
      { skipInvalidKeys: true },
    );
    expect((await verifier.verify(mintToken(key, "gateway.example"), { challenge })).meta).toBe(18);
  });
});

describe("both backends agree", () => {
  it("on random tokens, mutated tokens and garbage", async () => {
    const key = thresholdKey(18);
    const [web, node] = await Promise.all(factories.map(([, f]) => f([{ spki: key.spki, meta: 1 }])));
    const good = mintToken(key, "gateway.example");
    const verdict = (v: typeof web) => (bytes: Uint8Array) =>
      v!.verify(bytes, { challenge }).then(
        () => "ok",
        (e: unknown) => (e instanceof ProtocolError ? e.code : `untyped ${String(e)}`),
      );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
            const t = good.slice();
            t[i]! ^= x;
            return t;
          }),
          fc.constant(good),
        ),
        async (bytes) => {
          const [a, b] = await Promise.all([verdict(web)(bytes), verdict(node)(bytes)]);
          expect(a).toBe(b);
          expect(a.startsWith("untyped")).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });
});
