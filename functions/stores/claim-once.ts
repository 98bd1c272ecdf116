import { createHash } from "node:crypto";
import type { ClaimRecord, ClaimStore } from "./types.js";

/*
 * Claim once, answer retries: the one rule for everything the gateway hands out against a single-use id (a grant's
 * jti, a credit nullifier). A claim keeps the hash of the request it paid for; the same request sent again (its
 * answer was lost, or a store timed out after the write landed) is a retry and gets the same answer — the stored
 * one, or the same deterministic work redone — and is counted once; any other request is a replay.
 */

/** What a claim decided for one request. */
export type ClaimDecision =
  /** The id is ours now: do the work (or, with an answer stored, hand it out). */
  | { readonly kind: "first" }
  /** The same request claimed it before: answer again (`answer` when it was stored), count nothing. */
  | { readonly kind: "retry"; readonly answer: Uint8Array | undefined }
  /** Another request holds it: refuse. */
  | { readonly kind: "taken" };

/**
 * Claim `id` for the request whose hash is `record.requestHash` (one conditional write).
 *
 * @example
 * ```ts
 * const decision = await claimOnce(stores.claims, id, { status: "answered", expiresAt, requestHash, answer }, now);
 * ```
 */
export async function claimOnce(
  store: ClaimStore,
  id: string,
  record: ClaimRecord,
  now: number,
): Promise<ClaimDecision> {
  const outcome = await store.claim(id, record, now);
  return outcome.claimed ? { kind: "first" } : decideHeld(outcome.held, record.requestHash);
}

/** What a record already holding an id means for a request with hash `requestHash`. */
export function decideHeld(held: ClaimRecord, requestHash: Uint8Array | undefined): ClaimDecision {
  const same =
    requestHash !== undefined &&
    held.requestHash !== undefined &&
    Buffer.from(held.requestHash).equals(Buffer.from(requestHash));
  return same ? { kind: "retry", answer: held.answer } : { kind: "taken" };
}

/**
 * SHA-256 over the parts of a request, each length-prefixed (no two requests share a hash by moving a boundary).
 *
 * @example
 * ```ts
 * const hash = requestHash(body.creditKeyId, body.proof, body.tokens);
 * ```
 */
export function requestHash(...parts: (string | Uint8Array)[]): Uint8Array {
  const hash = createHash("sha256");
  for (const part of parts) {
    const bytes = typeof part === "string" ? Buffer.from(part, "utf8") : part;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  }
  return new Uint8Array(hash.digest());
}
