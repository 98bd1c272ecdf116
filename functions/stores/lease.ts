import type { ClaimStore } from "./types.js";

/*
 * A lease: one holder at a time, everywhere, for work that must not run twice at once (key rotation, announcing
 * the report key). It is a claim with status "leased" in the issuer's claims, taken by the conditional write of
 * every claim and given back at the end; it lapses by itself at its expiry if its holder dies. Lease ids start with
 * "lease/": no grant id (`provider:jti`) or nullifier id (hex) has that form.
 */

/**
 * Run `work` holding the lease `name` for at most `seconds`; `{ held: false }` (and nothing run) while another
 * holds it.
 *
 * @example
 * ```ts
 * const run = await withLease(stores.claims, "rotate-keys", 300, now, () => rotate());
 * ```
 */
export async function withLease<T>(
  claims: ClaimStore,
  name: string,
  seconds: number,
  now: number,
  work: () => Promise<T>,
): Promise<{ held: true; value: T } | { held: false }> {
  const id = leaseId(name);
  const outcome = await claims.claim(id, { status: "leased", expiresAt: now + seconds }, now);
  if (!outcome.claimed) return { held: false };
  try {
    return { held: true, value: await work() };
  } finally {
    await claims.release(id);
  }
}

/** The claim id of a lease. */
export function leaseId(name: string): string {
  return `lease/${name}`;
}
