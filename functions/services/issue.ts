import { createHash } from "node:crypto";
import {
  decodeBatchRequest,
  encodeBatchResponse,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  GENERIC_BATCH_RESPONSE_MEDIA_TYPE,
  ProtocolError,
  TOKEN_REQUEST_MEDIA_TYPE,
  TOKEN_RESPONSE_MEDIA_TYPE,
  TOKEN_TYPE_BLIND_RSA,
  TokenRequest,
  TokenResponse,
} from "@blindgate/sdk/protocol";
import { GatewayError, GrantError } from "../http/errors.js";
import type { BlindSigner } from "../issuer/blind-signer.js";
import { IssuerError } from "../issuer/errors.js";
import { type VerifiedGrant, verifyGrant } from "../issuer/grants.js";
import { keyCacheFor } from "../issuer/key-cache.js";
import { issuingKeys } from "../issuer/key-state.js";
import { log } from "../observability/log.js";
import { metric } from "../observability/metrics.js";
import type { Deps } from "../runtime.js";
import type { TokenKeyRecord } from "../stores/index.js";
import { countIssue } from "./report.js";

/*
 * RFC 9578 §6 issuance, one TokenRequest or a generic batch (draft-ietf-privacypass-batched-tokens), paid for by a
 * provider's grant. Every refusal comes before anything is used:
 *   1. decode every request (no grant is looked at for garbage)                 ERR_DECODE, 413 ERR_BATCH_TOO_LARGE
 *   2. verify the grant (cached provider, strict claims)                        ERR_GRANT_*, ERR_PROVIDER_*
 *   3. match each request to an issuing key and check its blinded message      ERR_GRANT_THRESHOLD, ERR_UNKNOWN_KEY,
 *      (a batch answers null for an entry it cannot sign; nulls are free)      ERR_BLINDED_MSG, ERR_GRANT_TOO_MANY
 *   4. spend the grant's jti and count the signable entries against the provider's quota, both at once (one round
 *      trip); if either refuses, the other is given back                       ERR_GRANT_REPLAYED, ERR_PROVIDER_*
 *   5. sign (RSASP1 with the RFC 9474 fault check)
 * So a refused request signs nothing and spends nothing, and a grant issues at most once.
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

export interface Planned {
  readonly request: TokenRequest;
  readonly key: TokenKeyRecord;
  readonly signer: BlindSigner;
}

function period(now: number): string {
  return new Date(now * 1000).toISOString().slice(0, 7);
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
  keyCacheFor(deps)
    .all(now)
    .catch(() => undefined);
  const grant = await verifyGrant(deps, input.grant, now);
  const { claims, provider } = grant;
  if (requests.length > claims.max_tokens) {
    throw new GrantError("ERR_GRANT_TOO_MANY", `at most ${claims.max_tokens} token requests for this grant`);
  }

  // 3.
  const { plan, signable, badMessages } = await planRequests(deps, requests, now, (threshold) => {
    if (threshold > claims.age_over) {
      throw new GrantError(
        "ERR_GRANT_THRESHOLD",
        `a requested key's threshold is above the grant's ${claims.age_over}`,
      );
    }
  });
  if (signable === 0 || (!batch && plan[0] === undefined)) {
    if (badMessages > 0) throw new GatewayError("ERR_BLINDED_MSG", "blinded_msg is not in 0 < m < n");
    throw new GatewayError("ERR_UNKNOWN_KEY", "no request names an issuing key");
  }

  // 4. and 5. The spend's round trip and the signatures overlap: the writes go out, the signing runs meanwhile,
  //    and nothing signed leaves unless the spend succeeded (signing stops as soon as it is refused).
  const responses = await signDuring(
    plan,
    countIssue(deps, provider.id, plan, now, spend(deps, grant, signable, now, input.body)),
  );
  metric("Grants", 1, { provider: provider.id });
  log("info", "issued", { provider: provider.id, requested: plan.length, issued: signable });
  if (!batch) return { status: 200, contentType: TOKEN_RESPONSE_MEDIA_TYPE, body: responses[0]! };
  return {
    status: signable === responses.length ? 200 : 206,
    contentType: GENERIC_BATCH_RESPONSE_MEDIA_TYPE,
    body: encodeBatchResponse(responses),
  };
}

/** Step 1: the TokenRequests of the body; undefined for batch entries of another token type. */
export function decodeRequests(
  body: Uint8Array,
  batch: boolean,
  maxBatch: number,
): (TokenRequest | undefined)[] {
  let requests: (TokenRequest | undefined)[];
  try {
    requests = batch
      ? decodeBatchRequest(body, { maxItems: maxBatch }).map((item) =>
          item.tokenType === TOKEN_TYPE_BLIND_RSA ? TokenRequest.decode(item.request) : undefined,
        )
      : [TokenRequest.decode(body)];
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    if (error.code === "ERR_BATCH_TOO_LARGE") {
      throw new GatewayError("ERR_BATCH_TOO_LARGE", `at most ${maxBatch} requests per batch`);
    }
    if (error.code === "ERR_UNSUPPORTED_TOKEN_TYPE") {
      throw new GatewayError("ERR_UNSUPPORTED_TOKEN_TYPE", "only token type 0x0002 is issued here");
    }
    throw new GatewayError("ERR_DECODE", "the body is not a valid token request");
  }
  if (requests.length === 0) throw new GatewayError("ERR_DECODE", "empty batch");
  return requests;
}

/** Step 4: the jti and the quota, in parallel; whichever succeeded is given back when the other refuses. */
export async function spend(
  deps: Deps,
  { claims, provider }: VerifiedGrant,
  tokens: number,
  now: number,
  request: Uint8Array,
): Promise<"paid" | "retry"> {
  const { grants, providers } = deps.stores;
  const jti = `${provider.id}:${claims.jti}`;
  const month = period(now);
  // The jti is kept with a hash of the request it paid for: the same request sent again (its answer was lost, or
  // a store timed out after the write landed) is served again; any other use of the grant is a replay.
  const paidFor = new Uint8Array(createHash("sha256").update(request).digest());
  const [claim, quota] = await Promise.allSettled([
    grants.claim(jti, claims.exp + 60, now, paidFor),
    providers.consumeQuota(provider.id, month, tokens, provider.monthlyQuota),
  ]);
  const counted = quota.status === "fulfilled" && quota.value === "ok";
  const retry =
    claim.status === "fulfilled" &&
    !claim.value.fresh &&
    claim.value.record !== undefined &&
    Buffer.from(claim.value.record).equals(paidFor);
  if (claim.status === "fulfilled" && claim.value.fresh && counted) return "paid";
  if (retry) {
    // Counted when it was first paid for (or lost with a timed-out write: at most one request per grant).
    if (counted) await providers.refundQuota(provider.id, month, tokens);
    return "retry";
  }
  const jtiTaken = claim.status === "fulfilled" && claim.value.fresh;
  // Give back what was taken, then refuse (store faults first: nothing was decided).
  await Promise.all([
    jtiTaken ? grants.release(jti) : undefined,
    counted ? providers.refundQuota(provider.id, month, tokens) : undefined,
  ]);
  if (claim.status === "rejected") throw claim.reason;
  if (quota.status === "rejected") throw quota.reason;
  if (!claim.value.fresh)
    throw new GrantError("ERR_GRANT_REPLAYED", "this grant was used already, for another request");
  if (quota.value === "inactive") throw new GrantError("ERR_PROVIDER_SUSPENDED", "provider suspended");
  throw new GrantError("ERR_PROVIDER_QUOTA", "the provider's monthly quota is used up");
}

/**
 * Step 3: each request's issuing key (by truncated id) and signer, its blinded message checked; undefined for an
 * entry that cannot be signed. `allow(threshold)` throws for a key above what the payment covers.
 */
export async function planRequests(
  deps: Deps,
  requests: readonly (TokenRequest | undefined)[],
  now: number,
  allow: (threshold: number) => void,
): Promise<{ plan: (Planned | undefined)[]; signable: number; badMessages: number }> {
  const cache = keyCacheFor(deps);
  const live = issuingKeys(await cache.all(now), now);
  const keys = requests.map((request) =>
    request === undefined ? undefined : live.find((k) => k.truncatedId === request.truncatedTokenKeyId),
  );
  for (const key of keys) if (key !== undefined) allow(key.threshold);
  const used = [...new Set(keys.filter((k) => k !== undefined))];
  const signers = new Map(
    await Promise.all(used.map(async (key) => [key.id, await cache.signer(key)] as const)),
  );
  let badMessages = 0;
  const plan = requests.map((request, i): Planned | undefined => {
    const key = keys[i];
    if (request === undefined || key === undefined) return undefined;
    const signer = signers.get(key.id)!;
    try {
      signer.checkInput(request.blindedMsg);
    } catch (error) {
      if (error instanceof IssuerError && error.isClientError) {
        badMessages++;
        return undefined;
      }
      throw error;
    }
    return { request, key, signer };
  });
  return { plan, signable: plan.filter((p) => p !== undefined).length, badMessages };
}

/** Step 5: the TokenResponses (null where nothing is signed), counted per threshold. */
/** Signatures between two looks at the store's answer (a few ms of CPU): what a refused request may cost. */
const SIGN_CHUNK = 8;

/**
 * Steps 4 and 5 together: sign while `paid` (the spend) is in flight, yielding to the event loop every few
 * signatures until its answer is in (and not after); when it refuses, stop and throw its error — the signatures
 * made are dropped, never released. Resolves with the TokenResponses only once `paid` has resolved.
 */
export async function signDuring(
  plan: readonly (Planned | undefined)[],
  paid: Promise<unknown>,
): Promise<(Uint8Array | null)[]> {
  let refused = false;
  let settled = false;
  const outcome = paid.then(
    () => {
      settled = true;
    },
    (error: unknown) => {
      refused = true;
      settled = true;
      throw error;
    },
  );
  outcome.catch(() => undefined); // observed below; no unhandled rejection while signing
  const responses: (Uint8Array | null)[] = [];
  for (let i = 0; i < plan.length; i++) {
    // A look at the spend every few signatures while it is in flight; none once it has succeeded (each look costs
    // an event-loop turn, ~0.1 ms: a batch of 100 made twelve of them, most after the store had long answered).
    // The first look comes before any signature: node:http writes a request on a later tick, so without it the
    // spend's round trip would only start after the first chunk of signatures.
    if (!settled && i % SIGN_CHUNK === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    if (refused) break;
    const p = plan[i];
    responses.push(p === undefined ? null : new TokenResponse(p.signer.sign(p.request.blindedMsg)).encode());
  }
  await outcome;
  countIssued(plan);
  return responses;
}

function countIssued(plan: readonly (Planned | undefined)[]): void {
  const counts = new Map<number, number>();
  for (const p of plan)
    if (p !== undefined) counts.set(p.key.threshold, (counts.get(p.key.threshold) ?? 0) + 1);
  for (const [threshold, count] of counts) metric("TokensIssued", count, { threshold: String(threshold) });
}

/** Step 5 alone, after the payment: the TokenResponses (null where nothing is signed), counted per threshold. */
export function signPlan(plan: readonly (Planned | undefined)[]): (Uint8Array | null)[] {
  const counts = new Map<number, number>();
  const responses = plan.map((p) => {
    if (p === undefined) return null;
    counts.set(p.key.threshold, (counts.get(p.key.threshold) ?? 0) + 1);
    return new TokenResponse(p.signer.sign(p.request.blindedMsg)).encode();
  });
  for (const [threshold, count] of counts) metric("TokensIssued", count, { threshold: String(threshold) });
  return responses;
}
