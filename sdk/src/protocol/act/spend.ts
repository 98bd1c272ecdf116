/**
 * Spending (draft-schlesinger-cfrg-act §"Token Spending"): the client's ProveSpend (a randomized BBS signature,
 * bit commitments to the remaining balance with a range proof over L bits, all in one LinearRelation of 2L + 3
 * equations) and the issuer's VerifySpendProof.
 */
import { concat } from "../bytes.js";
import type { CreditCredential, PreRefundState } from "./credential.js";
import { creditToScalar, scalarToCredit } from "./credential.js";
import { ActError } from "./errors.js";
import { encodeScalar, Fn, mulSecret, Point, sumPowersOfTwo, sumScalarPowersOfTwo } from "./group.js";
import type { ActPrivateKey } from "./keys.js";
import type { ActParams } from "./params.js";
import { type ScalarSource, webCryptoScalars } from "./random.js";
import { LinearRelation } from "./relation.js";
import { basesFor, prove, verify } from "./sigma.js";
import type { SpendProof } from "./wire.js";

const ascii = (s: string) => new TextEncoder().encode(s);

/** session_id = domain_separator + "spend" + Encode(k) + Encode(ctx) */
const spendSession = (params: ActParams, k: bigint, ctx: bigint) =>
  concat(params.domainSeparator, ascii("spend"), encodeScalar(k), encodeScalar(ctx));

/** The public values both sides put in the spend statement. */
interface SpendInstance {
  readonly APrime: Point;
  readonly BBar: Point;
  readonly ABar: Point;
  readonly Com: readonly Point[];
  readonly k: bigint;
  readonly s: bigint;
  readonly ctx: bigint;
}

/**
 * The statement of ProveSpend steps 19-37 (= VerifySpendProof steps 7-24). Scalar variables, in allocation
 * order: e, r2, r3, c, r, b[L], s_com[L], s2[L], kstar, k2.
 */
function spendStatement(params: ActParams, x: SpendInstance): LinearRelation {
  const { L, H1, H2, H3, H4 } = params;
  const st = new LinearRelation(params.encoded);
  // Eq 1: A_bar = e*(-A') + r2*B_bar
  const [eV, r2V] = st.allocateScalars(2) as [number, number];
  const negA = st.element(x.APrime.negate());
  const bBar = st.element(x.BBar);
  const aBar = st.element(x.ABar);
  st.appendEquation(aBar, [
    [eV, negA],
    [r2V, bBar],
  ]);
  // Eq 2: H1_prime = r3*B_bar + c*(-H1) + r*(-H3), H1_prime = G + H2*k + H4*ctx
  const [r3V, cV, rV] = st.allocateScalars(3) as [number, number, number];
  const negH1 = st.element(params.negH1);
  const negH3 = st.element(params.negH3);
  const h1Prime = st.element(
    Point.BASE.add(H2.multiplyUnsafe(x.k)).add(x.ctx === 0n ? Point.ZERO : H4.multiplyUnsafe(x.ctx)),
  );
  st.appendEquation(h1Prime, [
    [r3V, bBar],
    [cV, negH1],
    [rV, negH3],
  ]);
  // Eqs 3..2+2L: append_range_proof(statement, H1, H2, H3, Com, L)
  const bV = st.allocateScalars(L);
  const sV = st.allocateScalars(L);
  const s2V = st.allocateScalars(L);
  const [kstarV, k2V] = st.allocateScalars(2) as [number, number];
  const [h1, h2, h3] = [st.element(H1), st.element(H2), st.element(H3)];
  const com = x.Com.map((c) => st.element(c));
  for (let j = 0; j < L; j++) {
    if (j === 0) {
      // 10. Com[0] = b[0]*H1 + kstar*H2 + s[0]*H3
      st.appendEquation(com[0]!, [
        [bV[0]!, h1],
        [kstarV, h2],
        [sV[0]!, h3],
      ]);
      // 11. Com[0] = b[0]*Com[0] + k2*H2 + s2[0]*H3
      st.appendEquation(com[0]!, [
        [bV[0]!, com[0]!],
        [k2V, h2],
        [s2V[0]!, h3],
      ]);
    } else {
      // 13. Com[j] = b[j]*H1 + s[j]*H3
      st.appendEquation(com[j]!, [
        [bV[j]!, h1],
        [sV[j]!, h3],
      ]);
      // 14. Com[j] = b[j]*Com[j] + s2[j]*H3
      st.appendEquation(com[j]!, [
        [bV[j]!, com[j]!],
        [s2V[j]!, h3],
      ]);
    }
  }
  // Eq 2L+3: Com_total = c*H1 + kstar*H2 + Σ s_com[j]*(H3*2^j), Com_total = H1*s + Σ Com[j]*2^j
  const comTotal = sumPowersOfTwo(x.Com).add(x.s === 0n ? Point.ZERO : H1.multiplyUnsafe(x.s));
  const h1b = st.element(H1);
  const h2b = st.element(H2);
  const totalV = st.element(comTotal);
  const terms: [number, number][] = [
    [cV, h1b],
    [kstarV, h2b],
  ];
  for (let j = 0; j < L; j++) terms.push([sV[j]!, st.element(params.H3Powers[j]!)]);
  st.appendEquation(totalV, terms);
  return st;
}

/**
 * ProveSpend(token, s, rng): proves the credential holds at least `amount` credits and reveals its nullifier.
 * Send `proof`; keep `state` (with the proof) until the refund is accepted.
 *
 * @example
 * ```ts
 * const { proof, state } = proveSpend(params, credential, 3n);
 * const answer = await fetch("/act/spend", { method: "POST", body: encodeSpendProof(proof) });
 * ```
 */
export function proveSpend(
  params: ActParams,
  credential: CreditCredential,
  amount: bigint,
  rng: ScalarSource = webCryptoScalars,
): { proof: SpendProof; state: PreRefundState } {
  const { L, H1, H2, H3, H4 } = params;
  const { A, e, k, r, c, ctx } = credential;
  const s = creditToScalar(amount, L);
  creditToScalar(c, L);
  if (s > c) throw new ActError("ERR_ACT_BALANCE", "spend exceeds the credential's balance");
  // 1. r1, r2 <- Zq
  const r1 = rng.randomScalar();
  const r2 = rng.randomScalar();
  // 2. B = G + H1 * c + H2 * k + H3 * r + H4 * ctx
  const B = Point.BASE.add(mulSecret(H1, c))
    .add(mulSecret(H2, k))
    .add(mulSecret(H3, r))
    .add(mulSecret(H4, ctx));
  // 3. A' = A * (r1 * r2); 4. B_bar = B * r1; 5. r3 = 1/r1
  const APrime = mulSecret(A, Fn.mul(r1, r2));
  const BBar = mulSecret(B, r1);
  const r3 = Fn.inv(r1);
  // 6. m = c - s; 7. (b[0], ..., b[L-1]) = BitDecompose(m)
  const m = c - s;
  const b = Array.from({ length: L }, (_, j) => (m >> BigInt(j)) & 1n);
  // 8.-13. kstar, s_com[j] <- Zq; Com[j] = H1 * b[j] + (H2 * kstar for j = 0) + H3 * s_com[j]
  const kstar = rng.randomScalar();
  const sCom: bigint[] = [];
  const Com: Point[] = [];
  for (let j = 0; j < L; j++) {
    sCom.push(rng.randomScalar());
    let Cj = mulSecret(H3, sCom[j]!).add(b[j] === 1n ? H1 : Point.ZERO);
    if (j === 0) Cj = Cj.add(mulSecret(H2, kstar));
    Com.push(Cj);
  }
  // 14. A_bar = B_bar * r2 - A' * e (= A' * sk)
  const ABar = mulSecret(BBar, r2).subtract(mulSecret(APrime, e));
  // 15.-18. (H1_prime is built with the statement) s2[j] = (1 - b[j]) * s_com[j]; k2 = (1 - b[0]) * kstar
  const s2 = sCom.map((sj, j) => (b[j] === 1n ? 0n : sj));
  const k2 = b[0] === 1n ? 0n : kstar;
  // 19.-37. the statement
  const statement = spendStatement(params, { APrime, BBar, ABar, Com, k, s, ctx });
  // 38.-48. witness in allocation order
  const witness = [e, r2, r3, c, r, ...b, ...sCom, ...s2, kstar, k2];
  // 49.-51. prove under session domain_separator + "spend" + Encode(k) + Encode(ctx)
  const pok = prove(statement, spendSession(params, k, ctx), witness, rng, basesFor(params));
  // 52. r_star = Σ s_com[j] * 2^j; 53.-55. proof and state
  const rStar = sumScalarPowersOfTwo(sCom);
  return { proof: { k, s, ctx, APrime, BBar, Com, pok }, state: { kStar: kstar, rStar, m, ctx } };
}

/**
 * VerifySpendProof(sk, proof): checks a spend proof and its amount (s must fit in L bits) and returns the
 * revealed nullifier (Encode(k), 32 bytes) for the single-use store, with the amount and context. Checking and
 * recording the nullifier is the caller's job (see {@link acceptSpend}).
 *
 * @example
 * ```ts
 * const { nullifier, credits } = verifySpend(params, key, proof);
 * ```
 */
export function verifySpend(
  params: ActParams,
  key: ActPrivateKey,
  proof: SpendProof,
): { nullifier: Uint8Array; credits: bigint; ctx: bigint } {
  // 1. parse proof as (k, s, ctx, A', B_bar, Com, pok); the amount must be a credit amount (no wraparound)
  const { k, s, ctx, APrime, BBar, Com, pok } = proof;
  const credits = scalarToCredit(s, params.L);
  if (Com.length !== params.L)
    throw new ActError("ERR_ACT_PROOF", "spend proof: wrong number of commitments");
  // 2.-3. A' must not be the identity
  if (APrime.is0()) throw new ActError("ERR_ACT_PROOF", "spend proof: A' is the identity");
  // 4. A_bar = A' * sk
  const ABar = mulSecret(APrime, key.sk);
  // 5.-24. the statement (H1_prime and Com_total are computed inside)
  const statement = spendStatement(params, { APrime, BBar, ABar, Com, k, s, ctx });
  // 25.-28. verify under session domain_separator + "spend" + Encode(k) + Encode(ctx)
  if (!verify(statement, spendSession(params, k, ctx), pok, basesFor(params))) {
    throw new ActError("ERR_ACT_PROOF", "spend proof does not verify");
  }
  return { nullifier: encodeScalar(k), credits, ctx };
}
