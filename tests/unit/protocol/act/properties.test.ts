import {
  ActError,
  acceptSpend,
  actKeyFromSeed,
  actParams,
  createIssuanceRequest,
  decodeActPrivateKey,
  decodeActPublicKey,
  decodeCreditCredential,
  decodeIssuanceRequest,
  decodeIssuanceResponse,
  decodePreIssuanceState,
  decodePreRefundState,
  decodeRefund,
  decodeSpendProof,
  encodeCreditCredential,
  encodeIssuanceRequest,
  encodeIssuanceResponse,
  encodePreIssuanceState,
  encodePreRefundState,
  encodeRefund,
  encodeSpendProof,
  finalizeIssuance,
  finalizeRefund,
  issueCredential,
  issueRefund,
  proveSpend,
  seededScalars,
  toHex,
  verifySpend,
} from "@blindgate/sdk/protocol/internal";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const params = actParams("ACT-v1:blindgate:tests:unit:2026-03-01", 8);
const key = actKeyFromSeed(new Uint8Array(32).fill(1));
const rng = seededScalars(new Uint8Array(32).fill(2));

function credentialWith(credits: bigint, ctx = 0n) {
  const { request, state } = createIssuanceRequest(params, rng);
  const wire = decodeIssuanceRequest(encodeIssuanceRequest(request));
  const response = decodeIssuanceResponse(
    encodeIssuanceResponse(issueCredential(params, key, wire, credits, ctx, rng)),
  );
  return finalizeIssuance(params, key.publicKey, state, response, ctx);
}

const credential = credentialWith(100n);
const spend = proveSpend(params, credential, 30n, rng);
const spendBytes = encodeSpendProof(spend.proof);
const refund = issueRefund(params, key, spend.proof, 5n, rng);
const issuance = createIssuanceRequest(params, rng);

/** Every decoder, with one valid encoding of its struct. */
const decoders: [string, (b: Uint8Array) => unknown, Uint8Array][] = [
  ["IssuanceRequest", decodeIssuanceRequest, encodeIssuanceRequest(issuance.request)],
  [
    "IssuanceResponse",
    decodeIssuanceResponse,
    encodeIssuanceResponse(issueCredential(params, key, issuance.request, 10n, 0n, rng)),
  ],
  ["SpendProof", (b) => decodeSpendProof(params, b), spendBytes],
  ["Refund", decodeRefund, encodeRefund(refund)],
  ["CreditCredential", decodeCreditCredential, encodeCreditCredential(credential)],
  ["PreIssuanceState", decodePreIssuanceState, encodePreIssuanceState(issuance.state)],
  ["PreRefundState", decodePreRefundState, encodePreRefundState(spend.state)],
  ["ActPublicKey", decodeActPublicKey, key.publicKey.W.toBytes()],
  ["ActPrivateKey", decodeActPrivateKey, encodePrivate()],
];
function encodePrivate(): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0, s = key.sk; i < 32; i++, s >>= 8n) out[i] = Number(s & 0xffn);
  return out;
}

const onlyActErrors = (decode: (b: Uint8Array) => unknown, bytes: Uint8Array) => {
  try {
    decode(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(ActError);
    expect((e as ActError).code).toBe("ERR_ACT_DECODE");
  }
};

describe("ACT wire structs", () => {
  describe.each(decoders)("%s", (_, decode, valid) => {
    it("round-trips byte-exactly, also from a subarray at an odd byteOffset", () => {
      const pooled = new Uint8Array(valid.length + 7);
      pooled.set(valid, 3);
      const view = pooled.subarray(3, 3 + valid.length);
      const again = decode(view);
      expect(again).toEqual(decode(valid));
    });

    it("refuses truncation and trailing bytes with ERR_ACT_DECODE", () => {
      expect(() => decode(valid.subarray(0, valid.length - 1))).toThrow(
        expect.objectContaining({ code: "ERR_ACT_DECODE" }),
      );
      const longer = new Uint8Array(valid.length + 1);
      longer.set(valid);
      expect(() => decode(longer)).toThrow(expect.objectContaining({ code: "ERR_ACT_DECODE" }));
    });

    it("random bytes throw nothing but ActError(ERR_ACT_DECODE)", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: valid.length + 40 }), (bytes) => onlyActErrors(decode, bytes)),
        { numRuns: 200 },
      );
    });

    it("mutated valid bytes throw nothing but ActError(ERR_ACT_DECODE)", () => {
      fc.assert(
        fc.property(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
          const bytes = valid.slice();
          bytes[at]! ^= x;
          onlyActErrors(decode, bytes);
        }),
        { numRuns: 200 },
      );
    });
  });

  it("encoders round-trip every struct the protocol makes", () => {
    expect(toHex(encodeSpendProof(decodeSpendProof(params, spendBytes)))).toBe(toHex(spendBytes));
    expect(toHex(encodeRefund(decodeRefund(encodeRefund(refund))))).toBe(toHex(encodeRefund(refund)));
    expect(decodeCreditCredential(encodeCreditCredential(credential))).toEqual(credential);
    expect(decodePreRefundState(encodePreRefundState(spend.state))).toEqual(spend.state);
  });
});

describe("ACT protocol properties", () => {
  it("issue c, spend k <= c with refund t <= k: the new credential holds c - k + t and spends again", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.nat(255), fc.nat(255), (c, kRaw, tRaw) => {
        const k = kRaw % (c + 1);
        const t = tRaw % (k + 1);
        const cred = credentialWith(BigInt(c), 7n);
        const { proof, state } = proveSpend(
          params,
          decodeCreditCredential(encodeCreditCredential(cred)),
          BigInt(k),
          rng,
        );
        const wire = decodeSpendProof(params, encodeSpendProof(proof));
        const { refund: r, credits } = acceptSpend(params, key, wire, new Set(), BigInt(t), rng);
        expect(credits).toBe(BigInt(k));
        const next = finalizeRefund(
          params,
          key.publicKey,
          proof,
          decodePreRefundState(encodePreRefundState(state)),
          decodeRefund(encodeRefund(r)),
        );
        expect(next.c).toBe(BigInt(c - k + t));
        expect(next.k).not.toBe(cred.k);
        verifySpend(params, key, proveSpend(params, next, next.c, rng).proof);
      }),
      { numRuns: 6 },
    );
  });

  it("a spend over the balance is refused (ERR_ACT_BALANCE), as is an amount outside L bits (ERR_ACT_AMOUNT)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 254 }), fc.integer({ min: 1, max: 300 }), (c, over) => {
        const cred = { ...credential, c: BigInt(c) };
        const amount = BigInt(c + over);
        const code = amount < 256n ? "ERR_ACT_BALANCE" : "ERR_ACT_AMOUNT";
        expect(() => proveSpend(params, cred, amount, rng)).toThrow(
          expect.objectContaining({ name: "ActError", code }),
        );
      }),
      { numRuns: 50 },
    );
  });

  it("a proof forged for more than the balance (claimed balance raised) does not verify", () => {
    const forged = proveSpend(params, { ...credential, c: 200n }, 150n, rng).proof;
    expect(() => verifySpend(params, key, forged)).toThrow(
      expect.objectContaining({ code: "ERR_ACT_PROOF" }),
    );
  });

  it("a spend amount that wraps around the group order is refused before the proof is checked", () => {
    const wrapped = { ...spend.proof, s: 1n << 252n };
    expect(() => verifySpend(params, key, wrapped)).toThrow(
      expect.objectContaining({ code: "ERR_ACT_AMOUNT" }),
    );
  });

  it("a reused nullifier is refused by the seen store, and the first spend's refund still works", () => {
    const cred = credentialWith(20n);
    const seen = new Set<string>();
    const first = proveSpend(params, cred, 5n, rng);
    const { nullifier, refund: r } = acceptSpend(params, key, first.proof, seen, 0n, rng);
    expect(seen.has(toHex(nullifier))).toBe(true);
    const again = proveSpend(params, cred, 1n, rng);
    expect(() => acceptSpend(params, key, again.proof, seen, 0n, rng)).toThrow(
      expect.objectContaining({ name: "ActError", code: "ERR_ACT_NULLIFIER_REUSED" }),
    );
    expect(() => acceptSpend(params, key, first.proof, seen, 0n, rng)).toThrow(
      expect.objectContaining({ code: "ERR_ACT_NULLIFIER_REUSED" }),
    );
    expect(finalizeRefund(params, key.publicKey, first.proof, first.state, r).c).toBe(15n);
  });

  it("a refund larger than the spend is refused", () => {
    expect(() => issueRefund(params, key, spend.proof, 31n, rng)).toThrow(
      expect.objectContaining({ code: "ERR_ACT_AMOUNT" }),
    );
  });

  it("a bit flip anywhere in a spend proof makes it undecodable or unverifiable, never accepted", () => {
    fc.assert(
      fc.property(fc.nat(spendBytes.length * 8 - 1), (bit) => {
        const bytes = spendBytes.slice();
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        let threw: unknown;
        try {
          verifySpend(params, key, decodeSpendProof(params, bytes));
        } catch (e) {
          threw = e;
        }
        expect(threw).toBeInstanceOf(ActError);
        expect(["ERR_ACT_DECODE", "ERR_ACT_PROOF", "ERR_ACT_AMOUNT"]).toContain((threw as ActError).code);
      }),
      { numRuns: 60 },
    );
  });

  it("a bit flip anywhere in an issuance request, issuance response or refund is refused", () => {
    const response = issueCredential(params, key, issuance.request, 12n, 0n, rng);
    const cases: [Uint8Array, (b: Uint8Array) => unknown][] = [
      [
        encodeIssuanceRequest(issuance.request),
        (b) => issueCredential(params, key, decodeIssuanceRequest(b), 1n, 0n, rng),
      ],
      [
        encodeIssuanceResponse(response),
        (b) => finalizeIssuance(params, key.publicKey, issuance.state, decodeIssuanceResponse(b)),
      ],
      [
        encodeRefund(refund),
        (b) => finalizeRefund(params, key.publicKey, spend.proof, spend.state, decodeRefund(b)),
      ],
    ];
    for (const [valid, accept] of cases) {
      accept(valid);
      fc.assert(
        fc.property(fc.nat(valid.length * 8 - 1), (bit) => {
          const bytes = valid.slice();
          bytes[bit >> 3]! ^= 1 << (bit & 7);
          expect(() => accept(bytes)).toThrow(ActError);
        }),
        { numRuns: 40 },
      );
    }
  });

  it("a spend proof checked under another key or other parameters is refused", () => {
    const other = actKeyFromSeed(new Uint8Array(32).fill(9));
    expect(() => verifySpend(params, other, spend.proof)).toThrow(
      expect.objectContaining({ code: "ERR_ACT_PROOF" }),
    );
    const otherParams = actParams("ACT-v1:blindgate:tests:other:2026-03-01", 8);
    expect(() => verifySpend(otherParams, key, spend.proof)).toThrow(
      expect.objectContaining({ code: "ERR_ACT_PROOF" }),
    );
  });

  it("parameters out of range are refused", () => {
    expect(() => actParams("", 8)).toThrow(expect.objectContaining({ code: "ERR_ACT_PARAMS" }));
    expect(() => actParams("ACT-v1:x:y:z:2026-01-01", 0)).toThrow(
      expect.objectContaining({ code: "ERR_ACT_PARAMS" }),
    );
    expect(() => actParams("ACT-v1:x:y:z:2026-01-01", 129)).toThrow(
      expect.objectContaining({ code: "ERR_ACT_PARAMS" }),
    );
  });
});
