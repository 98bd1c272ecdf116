import { createPrivateKey } from "node:crypto";
import { i2osp, TokenRequest, TokenResponse } from "@blindgate/sdk/protocol/internal";
import { beforeAll, describe, expect, it } from "vitest";
import { BlindSigner, generateTokenKey } from "../../../functions/issuer/index.js";
import { type Planned, signDuring } from "../../../functions/issuer/token-batch.js";
import type { TokenKeyRecord } from "../../../functions/stores/index.js";

/*
 * Steps 4 and 5 of issuance overlap (functions/issuer/token-batch.ts, signDuring): the spend's round trip is in flight
 * while the signatures are made. What must hold: nothing signed leaves unless the spend succeeded, signing stops
 * within a few signatures of a refusal, and a paid batch comes back whole, in order.
 */

/** Counts its private-key operations. */
class CountingSigner extends BlindSigner {
  calls = 0;
  protected override rsasp1(m: Buffer): Buffer {
    this.calls++;
    return super.rsasp1(m);
  }
}

let signer: CountingSigner;
let plan: Planned[];

beforeAll(async () => {
  const { pkcs8 } = await generateTokenKey();
  signer = new CountingSigner(createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" }));
  const key = { id: "k", threshold: 18 } as TokenKeyRecord;
  plan = Array.from({ length: 100 }, (_, i) => ({
    request: new TokenRequest(1, i2osp(BigInt(i + 2) ** 40n, 256)),
    key,
    signer,
  }));
});

describe("signDuring: signatures made while the spend is in flight", () => {
  it("a paid batch comes back whole and in order, each response the signature of its request", async () => {
    signer.calls = 0;
    const withGaps = plan.slice(0, 20).map((p, i) => (i % 7 === 3 ? undefined : p));
    const responses = await signDuring(withGaps, new Promise((resolve) => setTimeout(resolve, 5)));
    expect(responses).toHaveLength(20);
    responses.forEach((r, i) => {
      const p = withGaps[i];
      if (p === undefined) expect(r).toBeNull();
      else expect(r).toEqual(new TokenResponse(signer.sign(p.request.blindedMsg)).encode());
    });
  });

  it("a spend refused before signing starts costs no signature and releases nothing", async () => {
    signer.calls = 0;
    const refusal = new Error("ERR_GRANT_REPLAYED");
    const outcome = await signDuring(plan, Promise.reject(refusal)).catch((e: unknown) => e);
    expect(outcome).toBe(refusal);
    // the first look at the spend comes before any signature
    expect(signer.calls).toBe(0);
  });

  it("a refusal arriving mid-batch stops it there", async () => {
    signer.calls = 0;
    let refuse: (e: Error) => void = () => undefined;
    const paid = new Promise<void>((_, reject) => {
      refuse = reject;
    });
    const signing = signDuring(plan, paid);
    setImmediate(() => setImmediate(() => refuse(new Error("ERR_PROVIDER_QUOTA"))));
    await expect(signing).rejects.toThrow("ERR_PROVIDER_QUOTA");
    expect(signer.calls).toBeGreaterThan(0);
    expect(signer.calls).toBeLessThan(plan.length);
  });
});
