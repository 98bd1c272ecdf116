/**
 * Refunds (draft-schlesinger-cfrg-act §"Issuer: Spend Verification and Refund", §"Refund Issuance", §"Client:
 * Refund Token Construction"): the issuer signs the committed remaining balance (plus t returned credits) under
 * a fresh nullifier only the client knows; the client checks the DLEQ proof and holds a new credential.
 */
import { concat, toHex } from "../bytes.js";
import type { CreditCredential, PreRefundState } from "./credential.js";
import { creditToScalar } from "./credential.js";
import { ActError } from "./errors.js";
import { encodeScalar, Fn, mulSecret, Point, sumPowersOfTwo } from "./group.js";
import type { ActPrivateKey, ActPublicKey } from "./keys.js";
import type { ActParams } from "./params.js";
import { type ScalarSource, webCryptoScalars } from "./random.js";
import { appendDleq, LinearRelation } from "./relation.js";
import { basesFor, prove, verify } from "./sigma.js";
import { verifySpend } from "./spend.js";
import type { Refund, SpendProof } from "./wire.js";

const ascii = (s: string) => new TextEncoder().encode(s);

/** session_id = domain_separator + "refund" + Encode(e) + Encode(t) + Encode(ctx) */
const refundSession = (params: ActParams, e: bigint, t: bigint, ctx: bigint) =>
  concat(params.domainSeparator, ascii("refund"), encodeScalar(e), encodeScalar(t), encodeScalar(ctx));

/** X_A = G + K' + H1 * t + H4 * ctx */
const refundXA = (params: ActParams, KPrime: Point, t: bigint, ctx: bigint) =>
  Point.BASE.add(KPrime)
    .add(t === 0n ? Point.ZERO : params.H1.multiplyUnsafe(t))
    .add(ctx === 0n ? Point.ZERO : params.H4.multiplyUnsafe(ctx));

/**
 * IssueRefund(sk, K', t, ctx, rng) for a spend proof that has been verified: the change credential's signature,
 * worth the remaining balance plus `returned` (0 <= returned <= s) credits.
 *
 * @example
 * ```ts
 * verifySpend(params, key, proof);
 * const refund = issueRefund(params, key, proof);
 * ```
 */
export function issueRefund(
  params: ActParams,
  key: ActPrivateKey,
  proof: SpendProof,
  returned = 0n,
  rng: ScalarSource = webCryptoScalars,
): Refund {
  const t = creditToScalar(returned, params.L);
  if (t > proof.s) throw new ActError("ERR_ACT_AMOUNT", "refund exceeds the amount spent");
  // K' = Σ Com[j] * 2^j
  const KPrime = sumPowersOfTwo(proof.Com);
  // 1. e <- Zq
  let e = rng.randomScalar();
  while (Fn.add(e, key.sk) === 0n) e = rng.randomScalar();
  const d = Fn.add(e, key.sk);
  // 2. X_A = G + K' + H1 * t + H4 * ctx
  const XA = refundXA(params, KPrime, t, proof.ctx);
  // 3. A = X_A * (1/(e + sk)); 4. X_G = G * (e + sk)
  const AStar = mulSecret(XA, Fn.inv(d));
  const XG = mulSecret(Point.BASE, d);
  // 5.-10. DLEQ proof of (e + sk) under session domain_separator + "refund" + Encode(e) + Encode(t) + Encode(ctx)
  const dleq = new LinearRelation(params.encoded);
  appendDleq(dleq, AStar, Point.BASE, XA, XG);
  const pok = prove(dleq, refundSession(params, e, t, proof.ctx), [d], rng, basesFor(params));
  // 11. refund = (A, e, t, pok)
  return { AStar, eStar: e, t, pok };
}

/** A single-use store of spent nullifiers (hex), e.g. a `Set<string>` in tests; the gateway's is a conditional write. */
export interface SeenNullifiers {
  has(nullifierHex: string): boolean;
  add(nullifierHex: string): unknown;
}

/**
 * VerifyAndRefund(sk, proof, t, rng) over a synchronous seen-store: refuses a reused nullifier
 * (ERR_ACT_NULLIFIER_REUSED), verifies the proof, records the nullifier, and issues the refund. A gateway with an
 * asynchronous store calls {@link verifySpend}, its conditional write, then {@link issueRefund}.
 *
 * @example
 * ```ts
 * const seen = new Set<string>();
 * const { nullifier, refund } = acceptSpend(params, key, proof, seen);
 * ```
 */
export function acceptSpend(
  params: ActParams,
  key: ActPrivateKey,
  proof: SpendProof,
  seen: SeenNullifiers,
  returned = 0n,
  rng: ScalarSource = webCryptoScalars,
): { nullifier: Uint8Array; credits: bigint; refund: Refund } {
  // 2.-5. validate the refund amount
  const t = creditToScalar(returned, params.L);
  if (t > proof.s) throw new ActError("ERR_ACT_AMOUNT", "refund exceeds the amount spent");
  // 7.-8. the nullifier must be fresh
  const id = toHex(encodeScalar(proof.k));
  if (seen.has(id)) throw new ActError("ERR_ACT_NULLIFIER_REUSED", "nullifier already spent");
  // 9. VerifySpendProof(sk, proof)
  const { nullifier, credits } = verifySpend(params, key, proof);
  // 11. used_nullifiers.add(k)
  seen.add(id);
  // 13.-15. K' = Σ Com[j] * 2^j; refund = IssueRefund(sk, K', t, ctx, rng)
  return { nullifier, credits, refund: issueRefund(params, key, proof, t, rng) };
}

/**
 * ConstructRefundToken(pk, spend_proof, refund, state): checks the refund's proof and returns the new credential,
 * worth m + t credits, with the fresh nullifier k*.
 *
 * @example
 * ```ts
 * const next = finalizeRefund(params, publicKey, proof, state, decodeRefund(body));
 * await store(encodeCreditCredential(next));
 * ```
 */
export function finalizeRefund(
  params: ActParams,
  publicKey: ActPublicKey,
  spendProof: SpendProof,
  state: PreRefundState,
  refund: Refund,
): CreditCredential {
  // 1.-2. parse refund as (A, e, t, pok) and state as (k*, r*, m, ctx)
  const { AStar, eStar, t, pok } = refund;
  const { kStar, rStar, m, ctx } = state;
  // 3.-4. t must fit in L bits; 5.-7. new_balance = m + t must fit in L bits
  creditToScalar(t, params.L);
  const balance = creditToScalar(m + t, params.L);
  // 8. K' = Σ Com[j] * 2^j; it must open to (m, k*, r*), or the state belongs to another spend
  const KPrime = sumPowersOfTwo(spendProof.Com);
  const opened = mulSecret(params.H1, m).add(mulSecret(params.H2, kStar)).add(mulSecret(params.H3, rStar));
  if (!opened.equals(KPrime))
    throw new ActError("ERR_ACT_CONTEXT", "pre-refund state does not match the spend proof");
  // 9. X_A = G + K' + H1 * t + H4 * ctx; 10. X_G = G * e + pk
  const XA = refundXA(params, KPrime, t, ctx);
  const XG = Point.BASE.multiplyUnsafe(eStar).add(publicKey.W);
  // 11.-16. verify the DLEQ proof
  const dleq = new LinearRelation(params.encoded);
  appendDleq(dleq, AStar, Point.BASE, XA, XG);
  if (AStar.is0() || !verify(dleq, refundSession(params, eStar, t, ctx), pok, basesFor(params))) {
    throw new ActError("ERR_ACT_PROOF", "refund proof does not verify");
  }
  // 17. token = (A, e, k*, r*, new_balance, ctx)
  return { A: AStar, e: eStar, k: kStar, r: rStar, c: balance, ctx };
}
