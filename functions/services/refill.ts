import { createHash } from "node:crypto";
import {
  ActError,
  creditParams,
  decodeSpendProof,
  encodeBatchResponse,
  encodeRefund,
  fromBase64Url,
  issueRefund,
  type RefillAnswer,
  type RefillRequestBody,
  toBase64Url,
  verifySpend,
} from "@blindgate/sdk/protocol/internal";
import { GatewayError } from "../errors.js";
import { assertCreditBuys } from "../issuer/intervals.js";
import { checkingKeys } from "../issuer/key-state.js";
import { decodeBatchField, planRequests, signPlan } from "../issuer/token-batch.js";
import { metric } from "../observability/metrics.js";
import type { Deps } from "../runtime.js";
import { claimOnce, decideHeld, requestHash, type TokenKeyRecord } from "../stores/index.js";
import { COUNTERS, issuedCounts } from "./report-counts.js";

/*
 * POST /v1/refill: a credit credential's spend proof for k credits buys k tokens of any thresholds up to the
 * credential's, and the change (an ACT refund: a new credential worth the rest). The proof's nullifier is claimed
 * once in the issuer's claims (beside the grants that bought the credentials: a split deployment keeps it on the
 * issuer's side), with the answer: the same request again is answered again, byte for byte; another request with
 * the same nullifier is ERR_CREDIT_SPENT. The nullifier is looked at before the proof is verified or anything is
 * signed, so a replay costs a read, not the proof's CPU. Nothing identifies the person: the proof reveals only the
 * nullifier, the amount and the key.
 */

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
  const requests = decodeBatchField(body.tokens, config.refillMax);
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
