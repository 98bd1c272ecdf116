/**
 * Issuance (draft-schlesinger-cfrg-act §"Token Issuance"): the client's request, the issuer's BBS-style signature
 * on (c, ctx, k, r) with a DLEQ proof, and the client's verification into a {@link CreditCredential}.
 */
import { concat } from "../bytes.js";
import type { CreditCredential, PreIssuanceState } from "./credential.js";
import { creditToScalar } from "./credential.js";
import { ActError } from "./errors.js";
import { encodeScalar, Fn, mulSecret, Point } from "./group.js";
import type { ActPrivateKey, ActPublicKey } from "./keys.js";
import type { ActParams } from "./params.js";
import { type ScalarSource, webCryptoScalars } from "./random.js";
import { appendDleq, appendPedersen, LinearRelation } from "./relation.js";
import { basesFor, prove, verify } from "./sigma.js";
import type { IssuanceRequest, IssuanceResponse } from "./wire.js";

const ascii = (s: string) => new TextEncoder().encode(s);

/** session_id = domain_separator + "request" */
const requestSession = (params: ActParams) => concat(params.domainSeparator, ascii("request"));
/** session_id = domain_separator + "respond" + Encode(c) + Encode(ctx) */
const respondSession = (params: ActParams, c: bigint, ctx: bigint) =>
  concat(params.domainSeparator, ascii("respond"), encodeScalar(c), encodeScalar(ctx));

/**
 * IssueRequest(rng): a fresh nullifier k and blinding r, K = H2*k + H3*r and a proof of knowledge of (k, r).
 * Keep `state` (durably) until the response arrives.
 *
 * @example
 * ```ts
 * const { request, state } = createIssuanceRequest(params);
 * const body = encodeIssuanceRequest(request);
 * ```
 */
export function createIssuanceRequest(
  params: ActParams,
  rng: ScalarSource = webCryptoScalars,
): { request: IssuanceRequest; state: PreIssuanceState } {
  // 1. k <- Zq; 2. r <- Zq
  const k = rng.randomScalar();
  const r = rng.randomScalar();
  // 3. K = H2 * k + H3 * r
  const K = mulSecret(params.H2, k).add(mulSecret(params.H3, r));
  // 4.-9. prove knowledge of (k, r) with K = H2 * k + H3 * r under session domain_separator + "request"
  const statement = new LinearRelation(params.encoded);
  appendPedersen(statement, params.H2, params.H3, K);
  const pok = prove(statement, requestSession(params), [k, r], rng, basesFor(params));
  // 10.-12. request = (K, pok); state = (k, r, K)
  return { request: { K, pok }, state: { k, r } };
}

/**
 * IssueResponse(sk, request, c, ctx, rng): verifies the client's proof, then signs (c, ctx, k, r) blindly and
 * proves the signature with a DLEQ proof. `credits` must fit in L bits; `ctx` is the request-context scalar both
 * sides derive from the application (0 when unused).
 *
 * @example
 * ```ts
 * const response = issueCredential(params, key, decodeIssuanceRequest(body), 80n, 0n);
 * return new Response(encodeIssuanceResponse(response));
 * ```
 */
export function issueCredential(
  params: ActParams,
  key: ActPrivateKey,
  request: IssuanceRequest,
  credits: bigint,
  ctx = 0n,
  rng: ScalarSource = webCryptoScalars,
): IssuanceResponse {
  const c = creditToScalar(credits, params.L);
  if (typeof ctx !== "bigint" || ctx < 0n || ctx >= Fn.ORDER)
    throw new ActError("ERR_ACT_AMOUNT", "ctx is not a scalar");
  // 1.-7. verify the proof of knowledge of (k, r) such that K = H2 * k + H3 * r
  const K = request.K;
  if (K.is0()) throw new ActError("ERR_ACT_PROOF", "issuance request: K is the identity");
  const statement = new LinearRelation(params.encoded);
  appendPedersen(statement, params.H2, params.H3, K);
  if (!verify(statement, requestSession(params), request.pok, basesFor(params))) {
    throw new ActError("ERR_ACT_PROOF", "issuance request proof does not verify");
  }
  // 8. e <- Zq (redrawn in the negligible case e + sk = 0)
  let e = rng.randomScalar();
  while (Fn.add(e, key.sk) === 0n) e = rng.randomScalar();
  const d = Fn.add(e, key.sk);
  // 9. X_A = G + H1 * c + H4 * ctx + K
  const XA = Point.BASE.add(params.H1.multiplyUnsafe(c)).add(params.H4.multiplyUnsafe(ctx)).add(K);
  // 10. A = X_A * (1/(e + sk))
  const A = mulSecret(XA, Fn.inv(d));
  // 11. X_G = G * (e + sk)
  const XG = mulSecret(Point.BASE, d);
  // 12.-17. DLEQ proof of (e + sk): X_A = A * (e + sk), X_G = G * (e + sk)
  const dleq = new LinearRelation(params.encoded);
  appendDleq(dleq, A, Point.BASE, XA, XG);
  const pok = prove(dleq, respondSession(params, c, ctx), [d], rng, basesFor(params));
  // 18. response = (A, e, c, pok), sent with ctx
  return { A, e, c, ctx, pok };
}

/**
 * VerifyIssuance(pk, response, ctx, state): checks the issuer's proof and returns the credit credential.
 * `ctx` is the context the client expects; a response for another context is refused.
 *
 * @example
 * ```ts
 * const credential = finalizeIssuance(params, publicKey, state, decodeIssuanceResponse(body));
 * await store(encodeCreditCredential(credential));
 * ```
 */
export function finalizeIssuance(
  params: ActParams,
  publicKey: ActPublicKey,
  state: PreIssuanceState,
  response: IssuanceResponse,
  ctx = 0n,
): CreditCredential {
  // 1.-2. parse response as (A, e, c, pok) and state as (k, r, K)
  const { A, e, c, pok } = response;
  if (response.ctx !== ctx) throw new ActError("ERR_ACT_CONTEXT", "issuance response for another context");
  creditToScalar(c, params.L);
  const K = params.H2.multiply(state.k).add(params.H3.multiply(state.r));
  // 3. X_A = G + H1 * c + H4 * ctx + K
  const XA = Point.BASE.add(params.H1.multiplyUnsafe(c)).add(params.H4.multiplyUnsafe(ctx)).add(K);
  // 4. X_G = G * e + pk
  const XG = Point.BASE.multiplyUnsafe(e).add(publicKey.W);
  // 5.-10. verify the DLEQ proof
  const dleq = new LinearRelation(params.encoded);
  appendDleq(dleq, A, Point.BASE, XA, XG);
  if (A.is0() || !verify(dleq, respondSession(params, c, ctx), pok, basesFor(params))) {
    throw new ActError("ERR_ACT_PROOF", "issuance response proof does not verify");
  }
  // 11. token = (A, e, k, r, c, ctx)
  return { A, e, k: state.k, r: state.r, c, ctx };
}
