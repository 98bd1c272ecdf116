import {
  ActError,
  type CredentialAnswer,
  type CredentialRequestBody,
  creditParams,
  decodeIssuanceRequest,
  encodeBatchResponse,
  encodeIssuanceResponse,
  fromBase64Url,
  issueCredential,
  toBase64Url,
} from "@blindgate/sdk/protocol/internal";
import { GatewayError, GrantError } from "../errors.js";
import { payWithGrant } from "../issuer/grant-payment.js";
import { type GrantClaims, verifyGrant } from "../issuer/grants.js";
import { assertGrantBuys, grantBuys, isBandKey } from "../issuer/intervals.js";
import { issuingKeys } from "../issuer/key-state.js";
import { assertBandLimit, decodeBatchField, planRequests, signPlan } from "../issuer/token-batch.js";
import { log } from "../observability/log.js";
import { metric } from "../observability/metrics.js";
import type { Deps } from "../runtime.js";
import { requestHash, type TokenKeyRecord } from "../stores/index.js";
import { COUNTERS, issuedCounts } from "./report-counts.js";

/*
 * POST /v1/credential, the gateway's side of Anonymous Credit Tokens (sdk/src/protocol/credits.ts): a provider's
 * grant buys one credential for the highest threshold it proves (a credit key of that threshold or the next lower
 * one the gateway has), worth min(BLINDGATE_CREDITS_PER_GRANT, max_tokens - first batch) credits, and optionally a
 * first batch of tokens. Every refusal comes first (request proof, keys, blinded messages); then the answer is made
 * and paid for with the grant (issuer/grant-payment.ts), the answer kept with the grant's claim: an ACT issuance is
 * randomized, so the same request sent again (its answer was lost) gets the stored answer byte for byte — the same
 * credential, on the credit key first used, counted once — and a grant buys one credential, ever.
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
  const requests = decodeBatchField(body.tokens, config.maxBatch);

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
