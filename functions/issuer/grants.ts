import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from "jose";
import * as z from "zod/mini";
import { GrantError } from "../errors.js";
import type { Deps } from "../runtime.js";
import type { ProviderRecord } from "../stores/index.js";
import { grantInterval, providerMayAttest } from "./intervals.js";

/*
 * Issuance grants: a provider's ES256 JWT saying "this person is over `age_over`, issue at most `max_tokens`".
 * Parsed strictly: exactly the claims below, nothing else (no name, birth date, subject or site can ride along).
 * Every refusal is a GrantError with its own code (docs/errors.md); the caller spends the jti only after all of
 * these checks passed.
 *
 * Providers are cached per container (record and imported JWKS) for PROVIDER_CACHE_SECONDS, like sites; a
 * suspension still takes effect at once, because the quota write that every issuance makes is conditional on the
 * provider being active (stores/dynamo/providers.ts).
 */

/** Clock skew tolerated between the provider and the gateway, seconds. */
export const GRANT_CLOCK_SKEW_SECONDS = 30;
/** Longest grant accepted, characters. */
export const MAX_GRANT_LENGTH = 4096;
export const PROVIDER_CACHE_SECONDS = 60;
const UNKNOWN_PROVIDER_CACHE_SECONDS = 10;

const claims = z
  .strictObject({
    iss: z.string().check(z.minLength(1), z.maxLength(128)),
    aud: z.string().check(z.minLength(1), z.maxLength(255)),
    iat: z.int().check(z.nonnegative()),
    exp: z.int().check(z.positive()),
    jti: z.string().check(z.minLength(16), z.maxLength(128), z.regex(/^[A-Za-z0-9_-]+$/)),
    age_over: z.int().check(z.minimum(1), z.maximum(150)),
    max_tokens: z.int().check(z.minimum(1), z.maximum(100_000)),
    age_below: z.optional(z.int().check(z.minimum(2), z.maximum(150))),
    below_until: z.optional(z.int().check(z.positive(), z.multipleOf(86_400), z.maximum(2 ** 40))),
  })
  .check(
    z.refine((c) => c.age_below === undefined || c.age_below > c.age_over, { path: ["age_below"] }),
    z.refine((c) => (c.age_below === undefined) === (c.below_until === undefined), { path: ["below_until"] }),
  );

export type GrantClaims = z.infer<typeof claims>;

export interface VerifiedGrant {
  readonly claims: GrantClaims;
  readonly provider: ProviderRecord;
}

/** A provider as a container caches it: its record and its imported JWKS. */
export interface CachedProvider {
  readonly record: ProviderRecord;
  readonly keys: JWTVerifyGetKey;
}

/** The provider and its imported JWKS, from the per-container cache. */
async function cachedProvider(deps: Deps, id: string, now: number): Promise<CachedProvider | undefined> {
  return deps.providerCache.get(
    id,
    now,
    (p) => (p === undefined ? UNKNOWN_PROVIDER_CACHE_SECONDS : PROVIDER_CACHE_SECONDS),
    async () => {
      const record = await deps.stores.providers.get(id);
      return record === undefined
        ? undefined
        : { record, keys: createLocalJWKSet(record.jwks as JSONWebKeySet) };
    },
  );
}

/**
 * Verify a grant. Throws GrantError: 401 ERR_GRANT_MISSING / ERR_GRANT_MALFORMED / ERR_GRANT_SIGNATURE /
 * ERR_GRANT_EXPIRED / ERR_GRANT_AUDIENCE / ERR_GRANT_CLAIMS / ERR_GRANT_LIFETIME, 403 ERR_PROVIDER_UNKNOWN /
 * ERR_PROVIDER_SUSPENDED / ERR_PROVIDER_INTERVAL. The claims returned are the grant's with `age_over` lowered to the
 * provider's ceiling (`maxThreshold`) when above it: the provider said what the person is, the operator capped what
 * this provider may vouch for, so an adult over 21 at a provider capped at 18 gets tokens up to 18.
 *
 * @example
 * ```ts
 * const { claims, provider } = await verifyGrant(deps, bearer(event), deps.now());
 * ```
 */
export async function verifyGrant(
  deps: Deps,
  grant: string | undefined,
  now: number,
): Promise<VerifiedGrant> {
  const { issuerName, grantMaxTtlSeconds } = deps.config;
  if (grant === undefined)
    throw new GrantError("ERR_GRANT_MISSING", "an issuance grant is required (Bearer)");
  if (grant.length > MAX_GRANT_LENGTH) throw new GrantError("ERR_GRANT_MALFORMED", "grant too long");
  let issuer: unknown;
  try {
    const header = decodeProtectedHeader(grant);
    if (header.alg !== "ES256" || typeof header.kid !== "string") throw new TypeError("alg");
    issuer = decodeJwt(grant).iss;
  } catch {
    throw new GrantError("ERR_GRANT_MALFORMED", "the grant is not an ES256 JWT with a kid");
  }
  if (typeof issuer !== "string" || issuer.length === 0 || issuer.length > 128) {
    throw new GrantError("ERR_GRANT_MALFORMED", "the grant has no issuer (iss)");
  }
  const provider = await cachedProvider(deps, issuer, now);
  if (provider === undefined)
    throw new GrantError("ERR_PROVIDER_UNKNOWN", `unknown provider "${safe(issuer)}"`);
  if (provider.record.status !== "active")
    throw new GrantError("ERR_PROVIDER_SUSPENDED", "provider suspended");

  let payload: unknown;
  try {
    const verified = await jwtVerify(grant, provider.keys, {
      algorithms: ["ES256"],
      issuer: provider.record.id,
      audience: issuerName,
      clockTolerance: GRANT_CLOCK_SKEW_SECONDS,
      currentDate: new Date(now * 1000),
      requiredClaims: ["iat", "exp", "jti"],
    });
    payload = verified.payload;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired)
      throw new GrantError("ERR_GRANT_EXPIRED", "the grant has expired");
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      if (error.claim === "aud") {
        throw new GrantError("ERR_GRANT_AUDIENCE", `the grant's aud must be "${issuerName}"`);
      }
      throw new GrantError("ERR_GRANT_CLAIMS", `grant claim ${error.claim} refused`);
    }
    if (error instanceof joseErrors.JWKSNoMatchingKey) {
      throw new GrantError("ERR_GRANT_SIGNATURE", "the grant's kid is not a registered key of this provider");
    }
    throw new GrantError("ERR_GRANT_SIGNATURE", "the grant's signature does not verify");
  }
  const parsed = claims.safeParse(payload);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? i.code)))].slice(0, 8);
    throw new GrantError(
      "ERR_GRANT_CLAIMS",
      `the grant's claims must be exactly iss, aud, iat, exp, jti, age_over (1..150), max_tokens (1..100000), and optionally age_below (above age_over) with below_until (UNIX seconds, a multiple of 86400); refused: ${fields.map(safe).join(", ")}`,
    );
  }
  const signed = parsed.data;
  const c: GrantClaims = { ...signed, age_over: Math.min(signed.age_over, provider.record.maxThreshold) };
  if (c.exp <= c.iat) throw new GrantError("ERR_GRANT_LIFETIME", "the grant's exp is not after its iat");
  if (c.exp - c.iat > grantMaxTtlSeconds) {
    throw new GrantError("ERR_GRANT_LIFETIME", `the grant lives longer than ${grantMaxTtlSeconds} s`);
  }
  if (c.iat > now + GRANT_CLOCK_SKEW_SECONDS)
    throw new GrantError("ERR_GRANT_LIFETIME", "grant from the future");
  if (!providerMayAttest(provider.record, grantInterval(c))) {
    throw new GrantError(
      "ERR_PROVIDER_INTERVAL",
      "this provider may not attest the grant's upper age (age_below)",
    );
  }
  return { claims: c, provider: provider.record };
}

/** A claim or issuer name as it may appear in a message: short, and only harmless characters. */
function safe(text: string): string {
  return text.replace(/[^A-Za-z0-9_.:-]/g, "?").slice(0, 64);
}
