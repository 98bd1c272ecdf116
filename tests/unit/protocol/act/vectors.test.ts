import { readFileSync } from "node:fs";
import {
  ActError,
  actParams,
  decodeActPrivateKey,
  decodeActPublicKey,
  decodeCreditCredential,
  decodeIssuanceRequest,
  decodeIssuanceResponse,
  decodeRefund,
  decodeSpendProof,
  encodeActPrivateKey,
  encodeActPublicKey,
  encodeCreditCredential,
  encodeIssuanceRequest,
  encodeIssuanceResponse,
  encodeRefund,
  encodeSpendProof,
  finalizeIssuance,
  finalizeRefund,
  fromHex,
  issueCredential,
  toHex,
  verifySpend,
} from "@blindgate/sdk/protocol/internal";
import { describe, expect, it } from "vitest";

interface ActVector {
  ciphersuite: string;
  parameters: { domain_separator: string; L: number };
  key_generation: { private_key: string; public_key: string };
  issuance: {
    credit_amount: string;
    ctx: string;
    issuance_request: string;
    issuance_response: string;
    credit_token: string;
  };
  spending: { spend_amount: string; nullifier: string; spend_proof: string };
  refund: {
    refund_amount: string;
    refund: string;
    new_nullifier: string;
    new_credit_token: string;
    remaining_balance: string;
  };
}
const v = JSON.parse(
  readFileSync(new URL("../../../vectors/act-ristretto255-shake128.json", import.meta.url), "utf8"),
) as ActVector;

const params = actParams(v.parameters.domain_separator, v.parameters.L);
const key = decodeActPrivateKey(fromHex(v.key_generation.private_key));
const le = (n: bigint) =>
  toHex(Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn)));
const ctx = BigInt(`0x${toHex(fromHex(v.issuance.ctx).reverse())}`);
const hex32 = (s: string, i: number) => s.slice(64 * i, 64 * (i + 1));

describe(`ACT vectors: ${v.ciphersuite}, L = ${v.parameters.L}`, () => {
  it("derives the public key from the private key and re-encodes both", () => {
    expect(toHex(encodeActPublicKey(key.publicKey))).toBe(v.key_generation.public_key);
    expect(toHex(encodeActPrivateKey(key))).toBe(v.key_generation.private_key);
    expect(toHex(encodeActPublicKey(decodeActPublicKey(fromHex(v.key_generation.public_key))))).toBe(
      v.key_generation.public_key,
    );
  });

  it("ctx is the scalar 0x1234", () => {
    expect(ctx).toBe(0x1234n);
    expect(le(ctx)).toBe(v.issuance.ctx);
  });

  describe.each([
    [
      "issuance_request",
      v.issuance.issuance_request,
      (b: Uint8Array) => encodeIssuanceRequest(decodeIssuanceRequest(b)),
      130,
    ],
    [
      "issuance_response",
      v.issuance.issuance_response,
      (b: Uint8Array) => encodeIssuanceResponse(decodeIssuanceResponse(b)),
      194,
    ],
    [
      "credit_token",
      v.issuance.credit_token,
      (b: Uint8Array) => encodeCreditCredential(decodeCreditCredential(b)),
      192,
    ],
    [
      "spend_proof",
      v.spending.spend_proof,
      (b: Uint8Array) => encodeSpendProof(decodeSpendProof(params, b)),
      1442,
    ],
    ["refund", v.refund.refund, (b: Uint8Array) => encodeRefund(decodeRefund(b)), 162],
    [
      "new_credit_token",
      v.refund.new_credit_token,
      (b: Uint8Array) => encodeCreditCredential(decodeCreditCredential(b)),
      192,
    ],
  ] as const)("%s", (_, hex, roundTrip, length) => {
    it(`is ${length} bytes and re-encodes byte-exactly`, () => {
      expect(hex.length / 2).toBe(length);
      expect(toHex(roundTrip(fromHex(hex)))).toBe(hex);
    });
  });

  it("issuance request: K = k*H2 + r*H3 with the token's (k, r), and the issuer accepts its proof", () => {
    const request = decodeIssuanceRequest(fromHex(v.issuance.issuance_request));
    const token = decodeCreditCredential(fromHex(v.issuance.credit_token));
    expect(params.H2.multiply(token.k).add(params.H3.multiply(token.r)).equals(request.K)).toBe(true);
    expect(toHex(request.K.toBytes())).toBe(hex32(v.issuance.issuance_request, 0));
    expect(request.pok.responses).toHaveLength(2);
    const response = issueCredential(params, key, request, BigInt(v.issuance.credit_amount), ctx);
    expect(response.c).toBe(100n);
  });

  it("issuance response: fields in hex, proof verifies, finalize gives the credit token", () => {
    const response = decodeIssuanceResponse(fromHex(v.issuance.issuance_response));
    const token = decodeCreditCredential(fromHex(v.issuance.credit_token));
    expect(toHex(response.A.toBytes())).toBe(hex32(v.issuance.issuance_response, 0));
    expect(le(response.e)).toBe(hex32(v.issuance.issuance_response, 1));
    expect(response.c).toBe(BigInt(v.issuance.credit_amount));
    expect(le(response.ctx)).toBe(v.issuance.ctx);
    const credential = finalizeIssuance(params, key.publicKey, { k: token.k, r: token.r }, response, ctx);
    expect(toHex(encodeCreditCredential(credential))).toBe(v.issuance.credit_token);
    expect(credential.c).toBe(100n);
    expect(le(credential.k)).toBe(v.spending.nullifier);
  });

  it("issuance response for another ctx is refused", () => {
    const response = decodeIssuanceResponse(fromHex(v.issuance.issuance_response));
    const token = decodeCreditCredential(fromHex(v.issuance.credit_token));
    expect(() => finalizeIssuance(params, key.publicKey, { k: token.k, r: token.r }, response, 0n)).toThrow(
      expect.objectContaining({ code: "ERR_ACT_CONTEXT" }),
    );
  });

  it("spend proof: fields in hex, the issuer verifies it and reveals the nullifier", () => {
    const proof = decodeSpendProof(params, fromHex(v.spending.spend_proof));
    expect(le(proof.k)).toBe(v.spending.nullifier);
    expect(proof.s).toBe(BigInt(v.spending.spend_amount));
    expect(le(proof.ctx)).toBe(v.issuance.ctx);
    expect(proof.Com).toHaveLength(v.parameters.L);
    expect(proof.pok.responses).toHaveLength(3 * v.parameters.L + 7);
    proof.Com.forEach((c, j) => {
      expect(toHex(c.toBytes())).toBe(hex32(v.spending.spend_proof, 5 + j));
    });
    const { nullifier, credits, ctx: seenCtx } = verifySpend(params, key, proof);
    expect(toHex(nullifier)).toBe(v.spending.nullifier);
    expect(credits).toBe(30n);
    expect(seenCtx).toBe(ctx);
  });

  it("refund: the commitments open to (k*, r*, m = 70), the proof verifies and gives the new token (80)", () => {
    const proof = decodeSpendProof(params, fromHex(v.spending.spend_proof));
    const refund = decodeRefund(fromHex(v.refund.refund));
    const next = decodeCreditCredential(fromHex(v.refund.new_credit_token));
    expect(refund.t).toBe(BigInt(v.refund.refund_amount));
    expect(le(refund.eStar)).toBe(hex32(v.refund.refund, 1));
    expect(le(next.k)).toBe(v.refund.new_nullifier);
    const m = BigInt(v.issuance.credit_amount) - BigInt(v.spending.spend_amount);
    const KPrime = params.H1.multiply(m).add(params.H2.multiply(next.k)).add(params.H3.multiply(next.r));
    let sum = proof.Com[proof.Com.length - 1]!;
    for (let j = proof.Com.length - 2; j >= 0; j--) sum = sum.double().add(proof.Com[j]!);
    expect(sum.equals(KPrime)).toBe(true);
    const credential = finalizeRefund(
      params,
      key.publicKey,
      proof,
      { kStar: next.k, rStar: next.r, m, ctx },
      refund,
    );
    expect(toHex(encodeCreditCredential(credential))).toBe(v.refund.new_credit_token);
    expect(credential.c).toBe(BigInt(v.refund.remaining_balance));
  });

  it("a refund finalized with the state of another spend (m or ctx) is refused", () => {
    const proof = decodeSpendProof(params, fromHex(v.spending.spend_proof));
    const refund = decodeRefund(fromHex(v.refund.refund));
    const next = decodeCreditCredential(fromHex(v.refund.new_credit_token));
    const state = { kStar: next.k, rStar: next.r, m: 71n, ctx };
    expect(() => finalizeRefund(params, key.publicKey, proof, state, refund)).toThrow(
      expect.objectContaining({ name: "ActError", code: "ERR_ACT_CONTEXT" }),
    );
    const wrongCtx = { kStar: next.k, rStar: next.r, m: 70n, ctx: 0n };
    expect(() => finalizeRefund(params, key.publicKey, proof, wrongCtx, refund)).toThrow(ActError);
  });
});
