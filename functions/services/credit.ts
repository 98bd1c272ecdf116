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
import { GatewayError, GrantError } from "../http/errors.js";
import { verifyGrant } from "../issuer/grants.js";
import { keyCacheFor } from "../issuer/key-cache.js";
import { checkingKeys, issuingKeys } from "../issuer/key-state.js";
import { log } from "../observability/log.js";
import { metric } from "../observability/metrics.js";
import type { Deps } from "../runtime.js";
import type { TokenKeyRecord } from "../stores/index.js";
import { decodeRequests, planRequests, signDuring, signPlan, spend } from "./issue.js";
import { addCounts, COUNTERS } from "./report.js";

/*
 * Credit credentials (Anonymous Credit Tokens, sdk/src/protocol/credits.ts), the gateway's side:
 *
 * POST /v1/credential — a provider's grant buys one credential for the highest threshold it proves (a credit key of
 * that threshold or the next lower one the gateway has), worth min(BLINDGATE_CREDITS_PER_GRANT, max_tokens - first
 * batch) credits, and optionally a first batch of tokens. As on the issue route, every refusal comes first: the
 * request proof, keys and blinded messages are checked, then the grant's jti and the provider's quota (tokens +
 * credits) are spent, and only then is anything released.
 *
 * POST /v1/refill — a spend proof for k credits buys k tokens of any thresholds up to the credential's, and the
 * change (an ACT refund: a new credential worth the rest). The proof's nullifier is spent through the same
 * conditional write as tokens and grants (OnceStore.claim, in the issuer's grants table, beside the grants that
 * bought the credentials: a split deployment keeps it on the issuer's side), keeping the answer with it: the same request sent again (the answer
 * was lost) is answered again, byte for byte; another request with the same nullifier is ERR_CREDIT_SPENT. Nothing
 * identifies the person: the proof reveals only the nullifier, the amount and the key.
 */

/** The credit key a grant of `ageOver` buys: the highest issuing threshold at or below it. */
function creditKeyFor(keys: readonly TokenKeyRecord[], now: number, ageOver: number): TokenKeyRecord {
  const key = issuingKeys(keys, now, "credit")
    .filter((k) => k.threshold <= ageOver)
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
  const credits = Math.min(config.creditsPerGrant, claims.max_tokens - requests.length);
  if (credits < 1) {
    throw new GrantError(
      "ERR_GRANT_TOO_MANY",
      `the grant's max_tokens (${claims.max_tokens}) leaves no credits`,
    );
  }
  const cache = keyCacheFor(deps);
  const creditKey = creditKeyFor(await cache.all(now), now, claims.age_over);
  const { plan, signable } = await planRequests(deps, requests, now, (threshold) => {
    if (threshold > claims.age_over) {
      throw new GrantError(
        "ERR_GRANT_THRESHOLD",
        `a requested key's threshold is above the grant's ${claims.age_over}`,
      );
    }
  });
  // The credential is made (and its request proof checked) before anything is spent, released only after.
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
  const signed = await signDuring(
    plan,
    spend(deps, grant, signable + credits, now, new TextEncoder().encode(JSON.stringify(body))),
  );
  const tokens = requests.length === 0 ? undefined : toBase64Url(encodeBatchResponse(signed));
  await addCounts(deps, now, {
    [COUNTERS.credentials]: 1,
    [COUNTERS.grants(grant.provider.id)]: 1,
    [COUNTERS.tokens(grant.provider.id)]: signable + credits,
  });
  metric("Credentials", 1, { threshold: String(creditKey.threshold) });
  metric("Grants", 1, { provider: grant.provider.id });
  log("info", "credential", { provider: grant.provider.id, credits, tokens: signable });
  return {
    credit: toBase64Url(response),
    creditKeyId: creditKey.id,
    credits,
    ageOver: creditKey.threshold,
    ...(tokens === undefined ? {} : { tokens }),
  };
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
  const cache = keyCacheFor(deps);
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
  // 2. the proof, and the amount it spends: exactly one credit per token asked for
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
  // 3. every request is signable, at or below the credential's threshold: credits are never spent on a null
  const { plan, signable, badMessages } = await planRequests(deps, requests, now, (threshold) => {
    if (threshold > key.threshold) {
      throw new GatewayError(
        "ERR_CREDIT_THRESHOLD",
        `this credential buys tokens up to age ${key.threshold}`,
      );
    }
  });
  if (signable !== requests.length) {
    if (badMessages > 0) throw new GatewayError("ERR_BLINDED_MSG", "blinded_msg is not in 0 < m < n");
    throw new GatewayError("ERR_UNKNOWN_KEY", "a request names no issuing key");
  }
  // 4. sign and make the change, then spend the nullifier keeping this answer with it
  const answer: RefillAnswer = {
    tokens: toBase64Url(encodeBatchResponse(signPlan(plan))),
    refund: toBase64Url(encodeRefund(issueRefund(params, secret, proof, 0n))),
  };
  const requestHash = createHash("sha256")
    .update(body.creditKeyId)
    .update(body.proof)
    .update(body.tokens)
    .digest();
  const record = new Uint8Array(Buffer.concat([requestHash, Buffer.from(JSON.stringify(answer))]));
  const id = createHash("sha256")
    .update("act-nullifier")
    .update(key.id)
    .update(spent.nullifier)
    .digest("hex");
  const claim = await stores.grants.claim(id, key.validUntil, now, record);
  if (claim.fresh) {
    await addCounts(deps, now, { [COUNTERS.refills]: 1 });
    metric("Refills", 1, { threshold: String(key.threshold) });
    return answer;
  }
  const stored = claim.record;
  if (stored !== undefined && Buffer.from(stored.subarray(0, 32)).equals(requestHash)) {
    return JSON.parse(Buffer.from(stored.subarray(32)).toString("utf8")) as RefillAnswer;
  }
  throw new GatewayError("ERR_CREDIT_SPENT", "this credential was spent already");
}
