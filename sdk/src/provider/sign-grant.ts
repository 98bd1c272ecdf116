import { SignJWT } from "jose";
import * as z from "zod/mini";
import { isServerName, toBase64Url } from "../protocol/internal.js";
import { ProviderError } from "./errors.js";
import { GRANT_ALG, type GrantKey } from "./grant-key.js";

/*
 * An issuance grant (docs/architecture.md, "Grants"): a JWT signed ES256 by a registered provider key, `kid` in the
 * protected header, and exactly these claims, which the gateway parses strictly (any other claim refuses it):
 *
 *   iss         the provider id, as registered with the gateway
 *   aud         the gateway's issuer name (the host name in its token challenges)
 *   iat, exp    issued-at and expiry, UNIX seconds; exp - iat <= 600
 *   jti         random, single use at the gateway
 *   age_over    the highest age threshold the person meets
 *   max_tokens  how many tokens this grant may issue
 *   age_below   optional: the person is younger than this (> age_over), so the grant proves [age_over, age_below)
 *   below_until optional, with age_below only: UNIX seconds, a multiple of 86400, before which the person is surely
 *               younger than age_below (coarsened: see intervalFromBirthDate); the gateway issues band tokens only
 *               with keys whose tokens die by then
 *
 * No identity, no site, no birth date: the input type has no field for them and the runtime check refuses any
 * field it does not know.
 */

/** below_until is a whole number of days (UTC midnights): the coarsest unit the gateway's band keys need. */
export const BELOW_UNTIL_UNIT_SECONDS = 86_400;

/** Default lifetime of a grant, in seconds. */
export const DEFAULT_GRANT_TTL_SECONDS = 300;
/** Longest lifetime of a grant, in seconds. */
export const MAX_GRANT_TTL_SECONDS = 600;
/** Most tokens one grant may ask for. */
export const MAX_GRANT_TOKENS = 1000;

/** What a provider states in a grant, and nothing else. */
export interface GrantInput {
  /** The gateway's issuer name (host name, as in its token challenges): the grant's `aud`. */
  issuer: string;
  /** Your provider id, as registered with the gateway operator: the grant's `iss`. */
  providerId: string;
  /** The highest age threshold the person meets (for example 18): the grant's `age_over`. */
  ageOver: number;
  /** How many tokens the wallet may get with this grant (your per-person cap applies): `max_tokens`. */
  maxTokens: number;
  /**
   * Optional, for a minor: the person is younger than this (above `ageOver`): the grant's `age_below`. Only if the
   * gateway operator registered you for bands. Give `belowUntil` with it.
   */
  ageBelow?: number;
  /**
   * With `ageBelow`: UNIX seconds, a multiple of 86400, before which the person is surely younger than `ageBelow`
   * (`below_until`). {@link intervalFromBirthDate} computes both, coarsened.
   */
  belowUntil?: number;
  /** Lifetime in seconds, 1..600, default 300. */
  ttlSeconds?: number;
}

/** The claims of a grant, exactly as signed. */
export interface GrantClaims {
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  age_over: number;
  max_tokens: number;
  age_below?: number;
  below_until?: number;
}

const PROVIDER_ID = /^[\x21-\x7e]{1,128}$/;

const grantInputSchema = z
  .strictObject({
    issuer: z.string().check(z.refine(isServerName, { message: "not a server name" })),
    providerId: z.string().check(z.regex(PROVIDER_ID, { message: "must be 1-128 printable ASCII" })),
    ageOver: z.int().check(z.minimum(1), z.maximum(150)),
    maxTokens: z.int().check(z.minimum(1), z.maximum(MAX_GRANT_TOKENS)),
    ageBelow: z.optional(z.int().check(z.minimum(2), z.maximum(150))),
    belowUntil: z.optional(
      z.int().check(z.positive(), z.multipleOf(BELOW_UNTIL_UNIT_SECONDS), z.maximum(2 ** 40)),
    ),
    ttlSeconds: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_GRANT_TTL_SECONDS))),
  })
  .check(
    z.refine((i) => i.ageBelow === undefined || i.ageBelow > i.ageOver, {
      path: ["ageBelow"],
      message: "ageBelow",
    }),
    z.refine((i) => (i.ageBelow === undefined) === (i.belowUntil === undefined), {
      path: ["belowUntil"],
      message: "belowUntil",
    }),
  );

/**
 * Sign an issuance grant after your age check succeeded. Returns the compact JWT the wallet hands to the gateway.
 * Throws ProviderError("INVALID_GRANT_INPUT") naming the field when the input has an unknown field or a value out
 * of range, and ProviderError("INVALID_KEY") when the key is not an ES256 private key with a kid.
 *
 * @example
 * ```ts
 * const grant = await signGrant(key, {
 *   issuer: "gateway.example",
 *   providerId: "acme-id",
 *   ageOver: 18,
 *   maxTokens: 40,
 * });
 * // hand `grant` back to the wallet (see docs/provider-guide.md), never to a site
 * ```
 */
export async function signGrant(
  key: Pick<GrantKey, "kid" | "privateKey">,
  input: GrantInput,
): Promise<string> {
  const parsed = grantInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new ProviderError("INVALID_GRANT_INPUT", `signGrant: ${describeIssue(parsed.error.issues[0])}`, {
      cause: parsed.error,
    });
  }
  checkSigningKey(key);
  const { issuer, providerId, ageOver, maxTokens, ageBelow, belowUntil } = parsed.data;
  const ttl = parsed.data.ttlSeconds ?? DEFAULT_GRANT_TTL_SECONDS;
  const iat = Math.floor(Date.now() / 1000);
  const claims: GrantClaims = {
    iss: providerId,
    aud: issuer,
    iat,
    exp: iat + ttl,
    jti: randomJti(),
    age_over: ageOver,
    max_tokens: maxTokens,
    ...(ageBelow === undefined || belowUntil === undefined
      ? {}
      : { age_below: ageBelow, below_until: belowUntil }),
  };
  try {
    return await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: GRANT_ALG, kid: key.kid })
      .sign(key.privateKey);
  } catch (cause) {
    throw new ProviderError("SIGN_FAILED", "signGrant: the grant could not be signed", { cause });
  }
}

/** What each input field must be, named with the claim it becomes (the messages of INVALID_GRANT_INPUT). */
export const GRANT_INPUT_RULES: Readonly<Record<keyof GrantInput, string>> = {
  issuer: "issuer (claim aud) must be the gateway's issuer name, a host name such as gateway.example",
  providerId: "providerId (claim iss) must be 1-128 printable ASCII characters without spaces",
  ageOver: "ageOver (claim age_over) must be an integer 1..150",
  maxTokens: `maxTokens (claim max_tokens) must be an integer 1..${MAX_GRANT_TOKENS}`,
  ageBelow: "ageBelow (claim age_below) must be an integer above ageOver, at most 150",
  belowUntil:
    "belowUntil (claim below_until) must be UNIX seconds, a multiple of 86400, given together with ageBelow (both or neither)",
  ttlSeconds: `ttlSeconds (exp - iat) must be an integer 1..${MAX_GRANT_TTL_SECONDS}`,
};

/** One zod issue as a sentence naming the field and what it must be; never the value given. */
function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return "the input is not a grant input";
  if (issue.code === "unrecognized_keys") {
    const allowed = Object.keys(GRANT_INPUT_RULES).join(", ");
    return `unknown field ${issue.keys.map((k) => JSON.stringify(k.slice(0, 32))).join(", ")} (allowed: ${allowed})`;
  }
  const field = issue.path[0];
  if (typeof field === "string" && field in GRANT_INPUT_RULES) {
    return GRANT_INPUT_RULES[field as keyof GrantInput];
  }
  return "the input must be an object with issuer, providerId, ageOver, maxTokens and optionally ageBelow with belowUntil, ttlSeconds";
}

function checkSigningKey(key: Pick<GrantKey, "kid" | "privateKey">): void {
  if (typeof key.kid !== "string" || !PROVIDER_ID.test(key.kid)) {
    throw new ProviderError("INVALID_KEY", "signGrant: the key has no valid kid");
  }
  const { privateKey } = key;
  const algorithm = privateKey.algorithm as { name?: string; namedCurve?: string };
  if (privateKey.type !== "private" || algorithm.name !== "ECDSA" || algorithm.namedCurve !== "P-256") {
    throw new ProviderError("INVALID_KEY", "signGrant: expected an ES256 (P-256) private key");
  }
}

/** 128 random bits, base64url. */
function randomJti(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}
