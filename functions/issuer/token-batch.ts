import {
  decodeBatchRequest,
  fromBase64Url,
  ProtocolError,
  TOKEN_TYPE_BLIND_RSA,
  TokenRequest,
  TokenResponse,
} from "@blindgate/sdk/protocol";
import { GatewayError, GrantError } from "../errors.js";
import { metric } from "../observability/metrics.js";
import type { Deps } from "../runtime.js";
import type { TokenKeyRecord } from "../stores/index.js";
import type { BlindSigner } from "./blind-signer.js";
import { IssuerError } from "./errors.js";
import { isBandKey } from "./intervals.js";
import { issuingKeys } from "./key-state.js";

/*
 * A batch of RFC 9578 TokenRequests, from bytes to TokenResponses, whoever pays for it (a grant on the issue route,
 * a grant with a credential, a credit spend on the refill route): decode, match each request to an issuing key and
 * check its blinded message (a request that cannot be signed is a null, and costs nothing), then sign (RSASP1 with
 * the RFC 9474 fault check). The routes decide who may have which keys and when payment happens.
 */

/** A request that will be signed: its key and that key's signer. */
export interface Planned {
  readonly request: TokenRequest;
  readonly key: TokenKeyRecord;
  readonly signer: BlindSigner;
}

/** The TokenRequests of a body (one, or a generic batch); undefined for batch entries of another token type. */
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

/**
 * Band tokens are what an adult would buy from a teen: one grant buys at most `limit` of them
 * (BLINDGATE_BAND_TOKENS_PER_GRANT), whatever its max_tokens.
 */
export function assertBandLimit(plan: readonly (Planned | undefined)[], limit: number): void {
  const band = plan.filter((p) => p !== undefined && isBandKey(p.key)).length;
  if (band > limit) {
    throw new GrantError("ERR_GRANT_BAND_LIMIT", `at most ${limit} band tokens for one grant`);
  }
}

/**
 * Each request's issuing key (by truncated id) and signer, its blinded message checked; undefined for an
 * entry that cannot be signed. `allow(key)` throws for a key the payment does not cover (issuer/intervals.ts).
 */
export async function planRequests(
  deps: Deps,
  requests: readonly (TokenRequest | undefined)[],
  now: number,
  allow: (key: TokenKeyRecord) => void,
): Promise<{ plan: (Planned | undefined)[]; signable: number; badMessages: number }> {
  const cache = deps.keyCache;
  const live = issuingKeys(await cache.all(now), now);
  const keys = requests.map((request) =>
    request === undefined ? undefined : live.find((k) => k.truncatedId === request.truncatedTokenKeyId),
  );
  for (const key of keys) if (key !== undefined) allow(key);
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

/** Signatures between two looks at the store's answer (a few ms of CPU): what a refused request may cost. */
const SIGN_CHUNK = 8;

/**
 * Sign while `paid` (the payment) is in flight, yielding to the event loop every few
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

/** Sign the plan at once (after the payment, or before a payment that stores the answer): the TokenResponses (null where nothing is signed), counted per threshold. */
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

/**
 * The TokenRequests of a JSON field holding a base64url generic batch (the credit routes' `tokens`); none when
 * the field is absent.
 */
export function decodeBatchField(
  encoded: string | undefined,
  maxBatch: number,
): (TokenRequest | undefined)[] {
  if (encoded === undefined) return [];
  try {
    return decodeRequests(fromBase64Url(encoded), true, maxBatch);
  } catch (error) {
    if (error instanceof ProtocolError) throw new GatewayError("ERR_DECODE", "tokens: not a generic batch");
    throw error;
  }
}
