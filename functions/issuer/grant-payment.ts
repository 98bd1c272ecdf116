import { GrantError } from "../errors.js";
import type { Deps } from "../runtime.js";
import { claimOnce } from "../stores/index.js";
import type { VerifiedGrant } from "./grants.js";

/*
 * Paying with a grant, for the issue and the credential routes: the grant's jti is claimed (one conditional write
 * in the issuer's claims, keeping the hash of the request it pays for, and the answer when it cannot be made again)
 * and `units` (tokens + credits) are counted against the provider's monthly quota, both at once (one round trip).
 * If either refuses, the other is given back. A grant pays for one request, ever: the same request again is a
 * retry (answered again, counted once: its quota units are given back), any other is ERR_GRANT_REPLAYED.
 */

/** What a payment decided. */
export type Payment =
  /** Paid now: do the work and hand it out. */
  | { readonly kind: "paid" }
  /** This very request was paid for before: answer it again (the stored answer, if one was kept), count nothing. */
  | { readonly kind: "retry"; readonly answer: Uint8Array | undefined };

/** Seconds a jti stays claimed after the grant's exp: longer than any clock skew the grant check tolerates. */
export const JTI_KEPT_AFTER_EXP_SECONDS = 60;

function month(now: number): string {
  return new Date(now * 1000).toISOString().slice(0, 7);
}

/**
 * Claim the grant's jti for a request and count `units` against the provider's quota.
 *
 * @example
 * ```ts
 * const payment = await payWithGrant(deps, grant, { units, requestHash: requestHash(body) }, now);
 * ```
 */
export async function payWithGrant(
  deps: Deps,
  { claims, provider }: VerifiedGrant,
  request: { readonly units: number; readonly requestHash: Uint8Array; readonly answer?: Uint8Array },
  now: number,
): Promise<Payment> {
  const { claims: claimStore, providers } = deps.stores;
  const jti = `${provider.id}:${claims.jti}`;
  const period = month(now);
  // A band grant also counts against the provider's monthly band grants, in the same write as its tokens.
  const band = claims.age_below !== undefined;
  const [claim, quota] = await Promise.allSettled([
    claimOnce(
      claimStore,
      jti,
      {
        status: request.answer === undefined ? "used" : "answered",
        expiresAt: claims.exp + JTI_KEPT_AFTER_EXP_SECONDS,
        requestHash: request.requestHash,
        ...(request.answer === undefined ? {} : { answer: request.answer }),
      },
      now,
    ),
    providers.consumeQuota(
      provider.id,
      period,
      request.units,
      provider.monthlyQuota,
      band ? { quota: provider.monthlyBandQuota ?? Number.MAX_SAFE_INTEGER } : undefined,
    ),
  ]);
  const counted = quota.status === "fulfilled" && quota.value === "ok";
  if (claim.status === "fulfilled" && claim.value.kind === "first" && counted) return { kind: "paid" };
  if (claim.status === "fulfilled" && claim.value.kind === "retry") {
    // Counted when it was first paid for (or lost with a timed-out write: at most one request per grant).
    if (counted) await providers.refundQuota(provider.id, period, request.units, band);
    return { kind: "retry", answer: claim.value.answer };
  }
  const jtiTaken = claim.status === "fulfilled" && claim.value.kind === "first";
  // Give back what was taken, then refuse (store faults first: nothing was decided).
  await Promise.all([
    jtiTaken ? claimStore.release(jti) : undefined,
    counted ? providers.refundQuota(provider.id, period, request.units, band) : undefined,
  ]);
  if (claim.status === "rejected") throw claim.reason;
  if (quota.status === "rejected") throw quota.reason;
  if (claim.value.kind === "taken") {
    throw new GrantError("ERR_GRANT_REPLAYED", "this grant was used already, for another request");
  }
  if (quota.value === "inactive") throw new GrantError("ERR_PROVIDER_SUSPENDED", "provider suspended");
  if (quota.value === "over-band-quota") {
    throw new GrantError("ERR_PROVIDER_BAND_QUOTA", "the provider's monthly quota of band grants is used up");
  }
  throw new GrantError("ERR_PROVIDER_QUOTA", "the provider's monthly quota is used up");
}
