import {
  encodeBatchResponse,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  GENERIC_BATCH_RESPONSE_MEDIA_TYPE,
  TOKEN_REQUEST_MEDIA_TYPE,
  TOKEN_RESPONSE_MEDIA_TYPE,
} from "@blindgate/sdk/protocol";
import { GatewayError, GrantError } from "../errors.js";
import { payWithGrant } from "../issuer/grant-payment.js";
import { verifyGrant } from "../issuer/grants.js";
import { assertGrantBuys } from "../issuer/intervals.js";
import { assertBandLimit, decodeRequests, planRequests, signDuring } from "../issuer/token-batch.js";
import { log } from "../observability/log.js";
import { metric } from "../observability/metrics.js";
import type { Deps } from "../runtime.js";
import { requestHash } from "../stores/index.js";
import { COUNTERS, issuedCounts } from "./report-counts.js";

/*
 * RFC 9578 §6 issuance, one TokenRequest or a generic batch (draft-ietf-privacypass-batched-tokens), paid for by a
 * provider's grant. Every refusal comes before anything is used:
 *   1. decode every request (no grant is looked at for garbage)                 ERR_DECODE, 413 ERR_BATCH_TOO_LARGE
 *   2. verify the grant (cached provider, strict claims)                        ERR_GRANT_*, ERR_PROVIDER_*
 *   3. match each request to an issuing key and check its blinded message      ERR_GRANT_THRESHOLD, ERR_UNKNOWN_KEY,
 *      (a batch answers null for an entry it cannot sign; nulls are free)      ERR_BLINDED_MSG, ERR_GRANT_TOO_MANY
 *   4. pay: claim the grant's jti for this request and count the signable entries against the provider's quota,
 *      in one round trip (issuer/grant-payment.ts)                              ERR_GRANT_REPLAYED, ERR_PROVIDER_*
 *   5. sign (RSASP1 with the RFC 9474 fault check), during the payment's round trip
 *   6. count what was issued for the transparency report (not for a retry: it was counted when first served)
 * So a refused request signs nothing and spends nothing, and a grant issues at most once. The same request sent
 * again is signed again: RSA blind signatures are deterministic, so it gets the same bytes.
 */

/** Largest issue body item: a type-2 TokenRequest with its varint headers. */
const MAX_ITEM_BYTES = 2 + 4 + 259;

/** The largest issue body the gateway reads, for its configured batch size. */
export function maxIssueBody(maxBatch: number): number {
  return 16 + maxBatch * MAX_ITEM_BYTES;
}

/** What the issue route sends back. */
export interface Issued {
  readonly status: 200 | 206;
  readonly contentType: string;
  readonly body: Uint8Array;
}

/**
 * Issue tokens for a grant. `mediaType` is the request's Content-Type (without parameters).
 *
 * @example
 * ```ts
 * const { status, contentType, body } = await issueTokens(deps, { grant, mediaType, body: bytes }, deps.now());
 * ```
 */
export async function issueTokens(
  deps: Deps,
  input: { grant: string | undefined; mediaType: string | undefined; body: Uint8Array },
  now: number,
): Promise<Issued> {
  const { config } = deps;
  const batch = input.mediaType === GENERIC_BATCH_REQUEST_MEDIA_TYPE;
  if (!batch && input.mediaType !== TOKEN_REQUEST_MEDIA_TYPE) {
    throw new GatewayError("ERR_MEDIA_TYPE", `expected ${TOKEN_REQUEST_MEDIA_TYPE} or a generic batch`);
  }
  // 1.
  const requests = decodeRequests(input.body, batch, config.maxBatch);

  // 2. (the key table is read meanwhile, at most every 30 s per container: on a cold container that read would
  //    otherwise be a round trip of its own before signing; planRequests joins the read in flight)
  deps.keyCache.all(now).catch(() => undefined);
  const grant = await verifyGrant(deps, input.grant, now);
  const { claims, provider } = grant;
  if (requests.length > claims.max_tokens) {
    throw new GrantError("ERR_GRANT_TOO_MANY", `at most ${claims.max_tokens} token requests for this grant`);
  }

  // 3.
  const { plan, signable, badMessages } = await planRequests(deps, requests, now, (key) =>
    assertGrantBuys(claims, key),
  );
  assertBandLimit(plan, config.bandTokensPerGrant);
  if (signable === 0 || (!batch && plan[0] === undefined)) {
    if (badMessages > 0) throw new GatewayError("ERR_BLINDED_MSG", "blinded_msg is not in 0 < m < n");
    throw new GatewayError("ERR_UNKNOWN_KEY", "no request names an issuing key");
  }

  // 4. and 5. The payment's round trip and the signatures overlap: the writes go out, the signing runs meanwhile,
  //    and nothing signed leaves unless the payment succeeded (signing stops as soon as it is refused).
  const payment = payWithGrant(deps, grant, { units: signable, requestHash: requestHash(input.body) }, now);
  const responses = await signDuring(plan, payment);
  // 6.
  if ((await payment).kind === "paid") {
    deps.reportCounts.record(now, {
      [COUNTERS.grants(provider.id)]: 1,
      ...(claims.age_below === undefined ? {} : { [COUNTERS.bandGrants(provider.id)]: 1 }),
      [COUNTERS.tokens(provider.id)]: signable,
      ...issuedCounts(plan),
    });
  }
  metric("Grants", 1, { provider: provider.id });
  log("info", "issued", { provider: provider.id, requested: plan.length, issued: signable });
  if (!batch) return { status: 200, contentType: TOKEN_RESPONSE_MEDIA_TYPE, body: responses[0]! };
  return {
    status: signable === responses.length ? 200 : 206,
    contentType: GENERIC_BATCH_RESPONSE_MEDIA_TYPE,
    body: encodeBatchResponse(responses),
  };
}
