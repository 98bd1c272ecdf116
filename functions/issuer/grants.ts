import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  errors as joseErrors,
  jwtVerify,
} from "jose";
import * as z from "zod/mini";
import { HttpError } from "../http.js";
import type { ProviderRecord, ProviderStore } from "../stores/types.js";

/*
 * Issuance grants: a provider's ES256 JWT saying "this person is over `age_over`, issue at most `max_tokens`".
 * Parsed strictly: exactly the claims below, nothing else (no name, birth date, subject or site can ride along).
 * Every refusal has its own code; the caller consumes the jti only after all of these checks passed.
 */

/** Clock skew tolerated between the provider and the gateway, seconds. */
export const GRANT_CLOCK_SKEW_SECONDS = 30;
/** Longest grant accepted, characters. */
export const MAX_GRANT_LENGTH = 4096;

const claims = z.strictObject({
  iss: z.string().check(z.minLength(1), z.maxLength(128)),
  aud: z.string().check(z.minLength(1), z.maxLength(255)),
  iat: z.int().check(z.nonnegative()),
  exp: z.int().check(z.positive()),
  jti: z.string().check(z.minLength(16), z.maxLength(128), z.regex(/^[A-Za-z0-9_-]+$/)),
  age_over: z.int().check(z.minimum(1), z.maximum(150)),
  max_tokens: z.int().check(z.minimum(1), z.maximum(100_000)),
});

export type GrantClaims = z.infer<typeof claims>;

export interface VerifiedGrant {
  readonly claims: GrantClaims;
  readonly provider: ProviderRecord;
}

const refuse = (code: string, message: string) =>
  new HttpError(401, code, message, { "www-authenticate": 'Bearer error="invalid_token"' });

/**
 * Verify a grant. Throws HttpError: 401 ERR_GRANT_MISSING / ERR_GRANT_MALFORMED / ERR_GRANT_SIGNATURE /
 * ERR_GRANT_EXPIRED / ERR_GRANT_AUDIENCE / ERR_GRANT_CLAIMS / ERR_GRANT_LIFETIME, 403 ERR_PROVIDER_UNKNOWN /
 * ERR_PROVIDER_SUSPENDED.
 */
export async function verifyGrant(
  grant: string | undefined,
  options: { providers: ProviderStore; issuerName: string; maxTtlSeconds: number; now: number },
): Promise<VerifiedGrant> {
  if (grant === undefined) throw refuse("ERR_GRANT_MISSING", "an issuance grant is required (Bearer)");
  if (grant.length > MAX_GRANT_LENGTH) throw refuse("ERR_GRANT_MALFORMED", "grant too long");
  let issuer: unknown;
  try {
    const header = decodeProtectedHeader(grant);
    if (header.alg !== "ES256" || typeof header.kid !== "string") throw new Error("alg");
    issuer = decodeJwt(grant).iss;
  } catch {
    throw refuse("ERR_GRANT_MALFORMED", "the grant is not an ES256 JWT with a kid");
  }
  if (typeof issuer !== "string" || issuer.length === 0 || issuer.length > 128) {
    throw refuse("ERR_GRANT_MALFORMED", "the grant has no issuer");
  }
  const provider = await options.providers.get(issuer);
  if (provider === undefined) throw new HttpError(403, "ERR_PROVIDER_UNKNOWN", "unknown provider");
  if (provider.status !== "active") throw new HttpError(403, "ERR_PROVIDER_SUSPENDED", "provider suspended");

  let payload: unknown;
  try {
    const verified = await jwtVerify(grant, createLocalJWKSet(provider.jwks as JSONWebKeySet), {
      algorithms: ["ES256"],
      issuer: provider.id,
      audience: options.issuerName,
      clockTolerance: GRANT_CLOCK_SKEW_SECONDS,
      currentDate: new Date(options.now * 1000),
      requiredClaims: ["iat", "exp", "jti"],
    });
    payload = verified.payload;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw refuse("ERR_GRANT_EXPIRED", "the grant has expired");
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      if (error.claim === "aud") throw refuse("ERR_GRANT_AUDIENCE", "the grant is for another issuer");
      throw refuse("ERR_GRANT_CLAIMS", `grant claim ${error.claim} refused`);
    }
    throw refuse("ERR_GRANT_SIGNATURE", "the grant's signature does not verify");
  }
  const parsed = claims.safeParse(payload);
  if (!parsed.success)
    throw refuse("ERR_GRANT_CLAIMS", "the grant's claims are not exactly the defined ones");
  const c = parsed.data;
  if (c.exp - c.iat > options.maxTtlSeconds) throw refuse("ERR_GRANT_LIFETIME", "the grant lives too long");
  if (c.iat > options.now + GRANT_CLOCK_SKEW_SECONDS)
    throw refuse("ERR_GRANT_LIFETIME", "grant from the future");
  return { claims: c, provider };
}
