import { TokenChallenge, VerificationError } from "@blindgate/sdk/protocol";
import { defaultVerifierFactory, GateError } from "@blindgate/sdk/site";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mintToken, thresholdKey } from "./fixtures.js";

/* The default (WebCrypto) verifier against tokens signed by node:crypto with RFC 9578 (id-RSASSA-PSS) SPKIs. */

const challenge = TokenChallenge.crossOrigin("gateway.example").encode();

describe("defaultVerifierFactory (WebCrypto)", () => {
  it("verifies a type 0x0002 token and returns its key's meta and id", async () => {
    const k18 = thresholdKey(18);
    const k21 = thresholdKey(21);
    const verifier = await defaultVerifierFactory([
      { spki: k18.spki, meta: "eighteen" },
      { spki: k21.spki, meta: "twenty-one" },
    ]);
    const result = await verifier.verify(mintToken(k21, "gateway.example"), { challenge });
    expect(result.meta).toBe("twenty-one");
    expect(Buffer.from(result.tokenKeyId).toString("hex")).toBe(k21.keyId);
  });

  it("refuses another challenge, an unknown key, and a flipped bit anywhere", async () => {
    const key = thresholdKey(18);
    const verifier = await defaultVerifierFactory([{ spki: key.spki, meta: 18 }]);
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
        const error = await Promise.resolve(verifier.verify(bad, { challenge })).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error instanceof VerificationError || error instanceof GateError).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("leaves out keys that are not RSA SPKIs", async () => {
    const key = thresholdKey(18);
    const verifier = await defaultVerifierFactory([
      { spki: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), meta: 0 },
      { spki: key.spki, meta: 18 },
    ]);
    expect((await verifier.verify(mintToken(key, "gateway.example"), { challenge })).meta).toBe(18);
  });
});
