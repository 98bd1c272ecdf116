import { createHash } from "node:crypto";
import {
  ActError,
  type CredentialAnswer,
  type CredentialRequestBody,
  creditParams,
  decodeIssuanceRequest,
  decodeSpendProof,
  encodeBatchResponse,
  encodeIssuanceResponse,
  encodeRefund,
  fromBase64Url,
  issueCredential,
  issueRefund,
  ProtocolError,
  type RefillAnswer,
  type RefillRequestBody,
  type TokenRequest,
  toBase64Url,
  verifySpend,
} from "@blindgate/sdk/protocol";
import { GatewayError, GrantError } from "../errors.js";
import { payWithGrant } from "../issuer/grant-payment.js";
import { type GrantClaims, verifyGrant } from "../issuer/grants.js";
import { assertCreditBuys, assertGrantBuys, grantBuys, isBandKey } from "../issuer/intervals.js";
import { checkingKeys, issuingKeys } from "../issuer/key-state.js";
import { assertBandLimit, decodeRequests, planRequests, signPlan } from "../issuer/token-batch.js";
import { log } from "../observability/log.js";
import { metric } from "../observability/metrics.js";
import type { Deps } from "../runtime.js";
import { claimOnce, decideHeld, requestHash, type TokenKeyRecord } from "../stores/index.js";
import { COUNTERS, issuedCounts } from "./report-counts.js";

/*
 * Credit credentials (Anonymous Credit Tokens, sdk/src/protocol/credits.ts), the gateway's side:
 *
 * POST /v1/credential — a provider's grant buys one credential for the highest threshold it proves (a credit key of
 * that threshold or the next lower one the gateway has), worth min(BLINDGATE_CREDITS_PER_GRANT, max_tokens - first
 * batch) credits, and optionally a first batch of tokens. Every refusal comes first (request proof, keys, blinded
 * messages); then the answer is made and paid for with the grant (issuer/grant-payment.ts), the answer kept with
 * the grant's claim: an ACT issuance is randomized, so the same request sent again (its answer was lost) gets the
 * stored answer byte for byte — the same credential, on the credit key first used, counted once — and a grant buys
 * one credential, ever.
 *
 * POST /v1/refill — a spend proof for k credits buys k tokens of any thresholds up to the credential's, and the
 * change (an ACT refund: a new credential worth the rest). The proof's nullifier is claimed once in the issuer's
 * claims (beside the grants that bought the credentials: a split deployment keeps it on the issuer's side), with
 * the answer: the same request again is answered again, byte for byte; another request with the same nullifier is
 * ERR_CREDIT_SPENT. The nullifier is looked at before the proof is verified or anything is signed, so a replay
 * costs a read, not the proof's CPU. Nothing identifies the person: the proof reveals only the nullifier, the
 * amount and the key.
 */

/**
 * The credit key a grant buys. A band grant: the narrowest issuing band credit key it may buy (its interval
 * contains the grant's and it dies by below_until; intervals.ts), so the credential buys every band key around it.
 * Otherwise, or when no band credit key dies early enough (the last weeks before a birthday): the highest issuing
 * threshold credit key at or below age_over.
 */
function creditKeyFor(keys: readonly TokenKeyRecord[], now: number, claims: GrantClaims): TokenKeyRecord {
  const issuing = issuingKeys(keys, now, "credit");
  const width = (k: TokenKeyRecord) => (k.ageBelow ?? 0) - k.threshold;
  const band = issuing
    .filter((k) => isBandKey(k) && grantBuys(claims, k))
    .sort((a, b) => width(a) - width(b) || b.threshold - a.threshold)[0];
  if (band !== undefined) return band;
  const key = issuing
    .filter((k) => !isBandKey(k) && k.threshold <= claims.age_over)
    .sort((a, b) => b.threshold - a.threshold)[0];
  if (key === undefined)
    throw new GatewayError("ERR_CREDIT_KEY_UNKNOWN", "no credit key issues for this age");
  return key;
}

function batchOf(encoded: string | undefined, maxBatch: number): (TokenRequest | undefined)[] {
  if (encoded === undefined) return [];
  try {
    return decodeRequests(fromBase64Url(encoded), true, maxBatch);
  } catch (error) {
    if (error instanceof ProtocolError) throw new GatewayError("ERR_DECODE", "tokens: not a generic batch");
    throw error;
  }
}

/**
 * A credential (and optionally a first batch) for a grant.
 *
 * @example
 * ```ts
 * const answer = await issueCredentialForGrant(deps, bearer(event), body, deps.now());
 * ```
 */
export async function issueCredentialForGrant(
  deps: Deps,
  grantText: string | undefined,
  body: CredentialRequestBody,
  now: number,
): Promise<CredentialAnswer> {
  const { config } = deps;
  const params = creditParams(config.issuerName);
  let creditRequest: ReturnType<typeof decodeIssuanceRequest>;
  try {
    creditRequest = decodeIssuanceRequest(fromBase64Url(body.credit));
  } catch {
    throw new GatewayError("ERR_CREDIT_MALFORMED", "credit: not an ACT IssuanceRequest");
  }
  const requests = batchOf(body.tokens, config.maxBatch);

  const grant = await verifyGrant(deps, grantText, now);
  const { claims } = grant;
  const cache = deps.keyCache;
  const creditKey = creditKeyFor(await cache.all(now), now, claims);
  // A band credential holds fewer credits: each is a band token an adult could buy from a teen.
  const perGrant = isBandKey(creditKey) ? config.bandCreditsPerGrant : config.creditsPerGrant;
  const credits = Math.min(perGrant, claims.max_tokens - requests.length);
  if (credits < 1) {
    throw new GrantError(
      "ERR_GRANT_TOO_MANY",
      `the grant's max_tokens (${claims.max_tokens}) leaves no credits`,
    );
  }
  const { plan, signable } = await planRequests(deps, requests, now, (key) => assertGrantBuys(claims, key));
  assertBandLimit(plan, config.bandTokensPerGrant);
  // The answer is made (the request proof checked) before anything is paid for, and released only after.
  let response: Uint8Array;
  try {
    response = encodeIssuanceResponse(
      issueCredential(params, await cache.creditSecret(creditKey), creditRequest, BigInt(credits)),
    );
  } catch (error) {
    if (error instanceof ActError)
      throw new GatewayError("ERR_CREDIT_PROOF", "credit: the request proof does not verify");
    throw error;
  }
  const answer: CredentialAnswer = {
    credit: toBase64Url(response),
    creditKeyId: creditKey.id,
    credits,
    ageOver: creditKey.threshold,
    ...(creditKey.ageBelow === undefined ? {} : { ageBelow: creditKey.ageBelow }),
    ...(requests.length === 0 ? {} : { tokens: toBase64Url(encodeBatchResponse(signPlan(plan))) }),
  };
  const payment = await payWithGrant(
    deps,
    grant,
    {
      units: signable + credits,
      requestHash: requestHash("credential", body.credit, body.tokens ?? ""),
      answer: new TextEncoder().encode(JSON.stringify(answer)),
    },
    now,
  );
  if (payment.kind === "retry") {
    // This request was paid for before: its answer, as first given (nothing is counted again).
    if (payment.answer === undefined) {
      throw new GrantError("ERR_GRANT_REPLAYED", "this grant was used already, for another request");
    }
    return JSON.parse(new TextDecoder().decode(payment.answer)) as CredentialAnswer;
  }
  deps.reportCounts.record(now, {
    [COUNTERS.credentials]: 1,
    [COUNTERS.grants(grant.provider.id)]: 1,
    ...(claims.age_below === undefined ? {} : { [COUNTERS.bandGrants(grant.provider.id)]: 1 }),
    [COUNTERS.tokens(grant.provider.id)]: signable + credits,
    ...issuedCounts(plan),
  });
  metric("Credentials", 1, { threshold: String(creditKey.threshold) });
  metric("Grants", 1, { provider: grant.provider.id });
  log("info", "credential", { provider: grant.provider.id, credits, tokens: signable });
  return answer;
}

/**
 * Tokens for a spend proof, and the change.
 *
 * @example
 * ```ts
 * const answer = await refill(deps, body, deps.now());
 * ```
 */
export async function refill(deps: Deps, body: RefillRequestBody, now: number): Promise<RefillAnswer> {
  const { config, stores } = deps;
  const params = creditParams(config.issuerName);
  const cache = deps.keyCache;
  // 1. the credential's key must still be valid (a credential dies with its key)
  const key = checkingKeys(await cache.all(now), now, "credit").find((k) => k.id === body.creditKeyId);
  if (key === undefined) {
    throw new GatewayError(
      "ERR_CREDIT_KEY_UNKNOWN",
      "this credential's key has expired or is unknown: verify again",
    );
  }
  let proof: ReturnType<typeof decodeSpendProof>;
  try {
    proof = decodeSpendProof(params, fromBase64Url(body.proof));
  } catch {
    throw new GatewayError("ERR_CREDIT_MALFORMED", "proof: not an ACT SpendProof");
  }
  const requests = batchOf(body.tokens, config.refillMax);
  // 2. look at the nullifier first: a spent one is answered (the same request) or refused before any CPU is spent
  //    on the proof or on signatures
  const id = nullifierId(key, proof.k);
  const hash = requestHash("refill", body.creditKeyId, body.proof, body.tokens);
  const held = await stores.claims.held(id, now);
  if (held !== undefined) return answerAgain(decideHeld(held, hash));
  // 3. the proof, and the amount it spends: exactly one credit per token asked for
  const secret = await cache.creditSecret(key);
  let spent: ReturnType<typeof verifySpend>;
  try {
    spent = verifySpend(params, secret, proof);
  } catch (error) {
    if (error instanceof ActError)
      throw new GatewayError("ERR_CREDIT_PROOF", "the spend proof does not verify");
    throw error;
  }
  if (spent.credits !== BigInt(requests.length) || requests.length > config.refillMax) {
    throw new GatewayError(
      "ERR_CREDIT_AMOUNT",
      `a refill spends one credit per token request, 1..${config.refillMax} of them`,
    );
  }
  // 4. every request is signable, at or below the credential's threshold: credits are never spent on a null
  const { plan, signable, badMessages } = await planRequests(deps, requests, now, (tokenKey) =>
    assertCreditBuys(key, tokenKey),
  );
  if (signable !== requests.length) {
    if (badMessages > 0) throw new GatewayError("ERR_BLINDED_MSG", "blinded_msg is not in 0 < m < n");
    throw new GatewayError("ERR_UNKNOWN_KEY", "a request names no issuing key");
  }
  // 5. sign and make the change, then claim the nullifier keeping this answer with it (the write that decides: of
  //    two refills racing with one nullifier, one wins; the other is answered with the winner's answer if it is
  //    the same request, refused otherwise)
  const answer: RefillAnswer = {
    tokens: toBase64Url(encodeBatchResponse(signPlan(plan))),
    refund: toBase64Url(encodeRefund(issueRefund(params, secret, proof, 0n))),
  };
  const decision = await claimOnce(
    stores.claims,
    id,
    {
      status: "answered",
      expiresAt: key.validUntil,
      requestHash: hash,
      answer: new TextEncoder().encode(JSON.stringify(answer)),
    },
    now,
  );
  if (decision.kind !== "first") return answerAgain(decision);
  // 6.
  deps.reportCounts.record(now, { [COUNTERS.refills]: 1, ...issuedCounts(plan) });
  metric("Refills", 1, { threshold: String(key.threshold) });
  return answer;
}

/** The claim id of a credit nullifier under its key: a nullifier is spent once per key. */
function nullifierId(key: TokenKeyRecord, k: bigint): string {
  // The nullifier's encoding (a ristretto255 scalar: 32 bytes, little-endian), as the spend proof carries it.
  const nullifier = Buffer.alloc(32);
  let v = k;
  for (let i = 0; i < 32; i++, v >>= 8n) nullifier[i] = Number(v & 0xffn);
  return createHash("sha256").update("act-nullifier").update(key.id).update(nullifier).digest("hex");
}

/** A refill whose nullifier is claimed already: the same request gets its stored answer; any other is refused. */
function answerAgain(decision: ReturnType<typeof decideHeld>): RefillAnswer {
  if (decision.kind === "retry" && decision.answer !== undefined) {
    return JSON.parse(new TextDecoder().decode(decision.answer)) as RefillAnswer;
  }
  throw new GatewayError("ERR_CREDIT_SPENT", "this credential was spent already");
}
