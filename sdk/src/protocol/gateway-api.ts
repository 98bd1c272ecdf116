import * as z from "zod/mini";
import { MAX_AGE, MIN_AGE } from "./age-interval.js";
import { DIRECTORY_PATH } from "./directory.js";

/*
 * The gateway's HTTP API, as one contract imported by both ends: the gateway's handlers parse requests and shape
 * answers with it, the site SDK, the wallet and the key-log checks read answers with it, and test fakes are built
 * from it, so none of them can drift from the real routes. docs/errors.md lists every code below.
 *
 * Error answers, on every route: `{ "error": { "code": GatewayErrorCode, "message": string } }` with the status of
 * GATEWAY_ERRORS[code]; 5xx bodies are generic. Codes are SCREAMING_SNAKE with the prefix ERR_ everywhere in
 * blindgate (gateway, protocol core, site gate, browser): a code never changes meaning once published.
 */

/** Paths of the gateway's routes, under its base URL. */
export const GATEWAY_PATHS = {
  /** GET: the RFC 9578 issuer directory. */
  directory: DIRECTORY_PATH,
  /** POST: RFC 9578 issuance (one TokenRequest or a generic batch), paid for by a provider's grant. */
  issue: "/token-request",
  /** POST: a site verifies a token and spends it. */
  check: "/v1/check",
  /** GET: the append-only, hash-chained key log. */
  keyLog: "/v1/key-log",
  /** GET: the active verification providers (for the wallet). */
  providers: "/v1/providers",
  /** POST: a grant buys a credit credential (ACT) and, optionally, a first batch of tokens. */
  credential: "/v1/credential",
  /** POST: a credit credential's spend proof buys tokens, and the change comes back as a new credential. */
  refill: "/v1/refill",
  /** GET ?day=YYYY-MM-DD: the signed, chained transparency report of a closed UTC day (public, PII-free). */
  report: "/v1/report",
} as const;

/** A route of the gateway, by id. */
export type GatewayRouteId = keyof typeof GATEWAY_PATHS;

/** Who an error is about: the caller's request, the token, the grant, the provider, the site, or the gateway. */
export type GatewayErrorParty = "request" | "token" | "grant" | "provider" | "site" | "credit" | "gateway";

/** Status, party and meaning of every gateway error code. */
export const GATEWAY_ERRORS = {
  // any route
  ERR_BAD_REQUEST: {
    status: 400,
    party: "request",
    meaning: "the body or query does not match the route's schema",
  },
  ERR_BODY_TOO_LARGE: { status: 413, party: "request", meaning: "the body is larger than the route accepts" },
  ERR_MEDIA_TYPE: { status: 415, party: "request", meaning: "the Content-Type is not one the route takes" },
  ERR_METHOD: { status: 405, party: "request", meaning: "the route does not take this method (see Allow)" },
  ERR_NOT_FOUND: { status: 404, party: "request", meaning: "no such route" },
  ERR_THROTTLED: {
    status: 429,
    party: "request",
    meaning: "too many requests from this client; retry later",
  },
  ERR_UNAVAILABLE: {
    status: 503,
    party: "gateway",
    meaning: "a store or KMS is unreachable or slow; nothing was written; retry later",
  },
  ERR_INTERNAL: { status: 500, party: "gateway", meaning: "an unexpected fault; nothing is disclosed" },
  // directory
  ERR_NO_LIVE_KEY: {
    status: 503,
    party: "gateway",
    meaning: "no token key is live (keys not rotated yet, or all expired): nothing to publish; retry later",
  },
  // issue
  ERR_DECODE: { status: 400, party: "request", meaning: "the body is not a TokenRequest or a generic batch" },
  ERR_UNSUPPORTED_TOKEN_TYPE: {
    status: 422,
    party: "request",
    meaning: "a TokenRequest of another token type",
  },
  ERR_BATCH_TOO_LARGE: {
    status: 413,
    party: "request",
    meaning: "more requests in a batch than the gateway takes",
  },
  ERR_UNKNOWN_KEY: {
    status: 422,
    party: "request",
    meaning: "no issuing key has the request's truncated key id",
  },
  ERR_BLINDED_MSG: { status: 422, party: "request", meaning: "a blinded message outside 0 < m < n" },
  ERR_GRANT_MISSING: { status: 401, party: "grant", meaning: "no grant in Authorization: Bearer" },
  ERR_GRANT_MALFORMED: {
    status: 401,
    party: "grant",
    meaning: "the grant is not an ES256 JWT with a kid and iss",
  },
  ERR_GRANT_SIGNATURE: {
    status: 401,
    party: "grant",
    meaning: "no key of the provider's registered JWKS verifies the grant (or its kid is unknown)",
  },
  ERR_GRANT_EXPIRED: { status: 401, party: "grant", meaning: "the grant's exp has passed" },
  ERR_GRANT_AUDIENCE: {
    status: 401,
    party: "grant",
    meaning: "the grant's aud is not this gateway's issuer name",
  },
  ERR_GRANT_CLAIMS: {
    status: 401,
    party: "grant",
    meaning:
      "the grant's claims are not exactly iss, aud, iat, exp, jti, age_over, max_tokens and optionally age_below with below_until (both or neither), in range",
  },
  ERR_GRANT_LIFETIME: {
    status: 401,
    party: "grant",
    meaning: "exp - iat is longer than the gateway allows, exp is before iat, or iat is in the future",
  },
  ERR_GRANT_REPLAYED: { status: 401, party: "grant", meaning: "this grant was used already" },
  ERR_GRANT_THRESHOLD: {
    status: 403,
    party: "grant",
    meaning: "a requested key's age threshold is above the grant's age_over",
  },
  ERR_GRANT_BAND: {
    status: 403,
    party: "grant",
    meaning:
      "a requested band key's interval does not contain the grant's: the grant proves no upper age (age_below), or a higher one than the key's",
  },
  ERR_GRANT_BAND_EXPIRY: {
    status: 403,
    party: "grant",
    meaning:
      "a requested band key's tokens (or credentials) stay valid after the grant's below_until, when the holder may have left the band",
  },
  ERR_GRANT_BAND_LIMIT: {
    status: 403,
    party: "grant",
    meaning: "more band tokens or band credits than one grant may buy",
  },
  ERR_GRANT_TOO_MANY: {
    status: 403,
    party: "grant",
    meaning: "more token requests than the grant's max_tokens",
  },
  ERR_PROVIDER_UNKNOWN: {
    status: 403,
    party: "provider",
    meaning: "the grant's iss is not a registered provider",
  },
  ERR_PROVIDER_SUSPENDED: { status: 403, party: "provider", meaning: "the provider is suspended" },
  ERR_PROVIDER_QUOTA: {
    status: 403,
    party: "provider",
    meaning: "the provider's monthly token quota is used up",
  },
  ERR_PROVIDER_THRESHOLD: {
    status: 403,
    party: "provider",
    meaning:
      "the grant's age_over is above the highest threshold this provider may attest (no longer sent: such a grant is issued at the provider's ceiling)",
  },
  ERR_PROVIDER_INTERVAL: {
    status: 403,
    party: "provider",
    meaning:
      "the grant states an upper age (age_below) this provider may not attest: no band it is registered for contains the grant's",
  },
  ERR_PROVIDER_BAND_QUOTA: {
    status: 403,
    party: "provider",
    meaning: "the provider's monthly quota of band grants is used up",
  },
  // credential, refill
  ERR_CREDIT_MALFORMED: {
    status: 400,
    party: "credit",
    meaning: "an ACT issuance request or spend proof that does not decode",
  },
  ERR_CREDIT_KEY_UNKNOWN: {
    status: 422,
    party: "credit",
    meaning:
      "no credit key of this id issues (credential) or is still valid (refill): re-verify with a provider",
  },
  ERR_CREDIT_PROOF: { status: 422, party: "credit", meaning: "the ACT proof does not verify" },
  ERR_CREDIT_AMOUNT: {
    status: 422,
    party: "credit",
    meaning: "the credits spent are not the number of token requests, or more than one refill may buy",
  },
  ERR_CREDIT_THRESHOLD: {
    status: 403,
    party: "credit",
    meaning: "a requested token key's threshold is above the credential's",
  },
  ERR_CREDIT_BAND: {
    status: 403,
    party: "credit",
    meaning:
      "a requested token key's interval does not contain the credential's band, or a band key's tokens would outlive the credential's key",
  },
  ERR_CREDIT_SPENT: {
    status: 409,
    party: "credit",
    meaning:
      "this credential was spent already, for another request (a retry of the same request is answered again)",
  },
  // check
  ERR_SITE_KEY_MISSING: { status: 401, party: "site", meaning: "no site API key in Authorization: Bearer" },
  ERR_SITE_KEY_INVALID: { status: 401, party: "site", meaning: "unknown site API key" },
  ERR_SITE_SUSPENDED: { status: 403, party: "site", meaning: "the site is suspended" },
  ERR_TOKEN_MALFORMED: { status: 400, party: "token", meaning: "the token is not a type 0x0002 Token" },
  ERR_CHALLENGE_MALFORMED: {
    status: 400,
    party: "request",
    meaning: "the challenge is not a TokenChallenge naming this issuer",
  },
  ERR_TOKEN_UNKNOWN_KEY: {
    status: 422,
    party: "token",
    meaning: "no key whose tokens are accepted now signed the token (unknown, or expired)",
  },
  ERR_TOKEN_INVALID: {
    status: 422,
    party: "token",
    meaning: "the signature or the challenge does not verify",
  },
  ERR_TOKEN_BELOW_AGE: {
    status: 422,
    party: "token",
    meaning: "the token's threshold is below minAge (the answer does not say which it is); not spent",
  },
  ERR_TOKEN_INTERVAL: {
    status: 422,
    party: "token",
    meaning:
      "the check asked for an age below ageBelow and the token's key does not prove it (a threshold token, or a wider band); not spent",
  },
  ERR_TOKEN_SPENT: {
    status: 409,
    party: "token",
    meaning: "the token was used already, here or on another site",
  },
} as const satisfies Record<string, { status: number; party: GatewayErrorParty; meaning: string }>;

/** Every error code a gateway answers with. */
export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

/** The codes, in table order. */
export const GATEWAY_ERROR_CODES = Object.keys(GATEWAY_ERRORS) as GatewayErrorCode[];

/**
 * Is this string one of the gateway's codes?
 *
 * @example
 * ```ts
 * if (isGatewayErrorCode(code)) console.log(GATEWAY_ERRORS[code].status);
 * ```
 */
export function isGatewayErrorCode(code: string): code is GatewayErrorCode {
  return Object.hasOwn(GATEWAY_ERRORS, code);
}

/** An error answer: `{ error: { code, message } }`. */
export const gatewayErrorBody = z.object({
  error: z.object({
    code: z.string().check(z.regex(/^[A-Z0-9_]{1,64}$/)),
    message: z.string().check(z.maxLength(1024)),
  }),
});

/**
 * The status and body of an error answer, as the gateway (and any fake of it) sends them. 5xx messages are generic.
 *
 * @example
 * ```ts
 * const { status, body } = gatewayErrorAnswer("ERR_TOKEN_SPENT", "this token was used already"); // 409
 * ```
 */
export function gatewayErrorAnswer(
  code: GatewayErrorCode,
  message: string,
): { status: number; body: { error: { code: GatewayErrorCode; message: string } } } {
  const { status } = GATEWAY_ERRORS[code];
  return {
    status,
    body: { error: { code, message: status >= 500 ? (GENERIC_MESSAGE[code] ?? "internal error") : message } },
  };
}

const GENERIC_MESSAGE: Partial<Record<GatewayErrorCode, string>> = {
  ERR_UNAVAILABLE: "temporarily unavailable, retry later",
  ERR_NO_LIVE_KEY: "no token key is live, retry later",
  ERR_INTERNAL: "internal error",
};

/**
 * The gateway code of an error answer's text, when it is one of {@link GATEWAY_ERRORS}.
 *
 * @example
 * ```ts
 * const code = gatewayErrorCodeOf(await response.text()); // "ERR_TOKEN_SPENT" | undefined
 * ```
 */
export function gatewayErrorCodeOf(text: string): GatewayErrorCode | undefined {
  try {
    const parsed = gatewayErrorBody.safeParse(JSON.parse(text));
    if (!parsed.success) return undefined;
    const { code } = parsed.data.error;
    return isGatewayErrorCode(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

const base64url = (max: number) =>
  z.string().check(z.minLength(1), z.maxLength(max), z.regex(/^[A-Za-z0-9_-]+={0,2}$/));

/** Largest body of POST /v1/check, bytes. */
export const MAX_CHECK_BODY = 4096;

const age = z.int().check(z.minimum(MIN_AGE), z.maximum(MAX_AGE));
const ageBelow = z.int().check(z.minimum(MIN_AGE + 1), z.maximum(MAX_AGE));

/**
 * POST /v1/check body: the token (base64url), the age interval asked [minAge, ageBelow) (no ageBelow: a threshold),
 * and the challenge when not the cross-origin one. A token of key interval K is accepted iff K ⊆ [minAge, ageBelow).
 */
export const checkRequestSchema = z
  .strictObject({
    token: base64url(1024),
    minAge: age,
    ageBelow: z.optional(ageBelow),
    challenge: z.optional(base64url(2048)),
  })
  .check(
    z.refine((b) => b.ageBelow === undefined || b.ageBelow > b.minAge, {
      message: "ageBelow must be above minAge",
      path: ["ageBelow"],
    }),
  );
export type CheckRequestBody = z.infer<typeof checkRequestSchema>;

/**
 * POST /v1/check answer 200: the token was valid and is now spent; the interval its key proves is
 * [ageOver, ageBelow) (no ageBelow: a threshold).
 */
export const checkAnswerSchema = z.strictObject({
  valid: z.literal(true),
  ageOver: age,
  ageBelow: z.optional(ageBelow),
  issuer: z.string().check(z.minLength(1), z.maxLength(255)),
  keyExpiresAt: z.iso.datetime(),
});
export type CheckAnswer = z.infer<typeof checkAnswerSchema>;

/** One key-log entry on the wire (see key-log.ts for its hash). */
export const keyLogEntrySchema = z.strictObject({
  seq: z.int().check(z.nonnegative()),
  kind: z.optional(z.enum(["token", "credit", "report"])),
  at: z.int(),
  event: z.enum(["created", "published", "retired", "expired"]),
  keyId: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  /** The age a token or credit key certifies; 0 for a report key, which certifies no age. */
  threshold: z.int().check(z.minimum(0), z.maximum(150)),
  /** Band keys only: the upper end (exclusive) of the key's interval [threshold, ageBelow). */
  ageBelow: z.optional(ageBelow),
  spki: z.string().check(z.maxLength(4096)),
  notBefore: z.int(),
  issueUntil: z.int(),
  validUntil: z.int(),
  prevHash: z.string().check(z.regex(/^([0-9a-f]{64})?$/)),
  hash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
});

/** Entries per key-log page. */
export const KEY_LOG_PAGE_SIZE = 500;

/** GET /v1/key-log?from=<seq> answer: a page of entries, and `next` (the following page's `from`) when not last. */
export const keyLogPageSchema = z.strictObject({
  entries: z.array(keyLogEntrySchema).check(z.maxLength(KEY_LOG_PAGE_SIZE)),
  next: z.optional(z.int().check(z.positive())),
});
export type KeyLogPage = z.infer<typeof keyLogPageSchema>;

const hexId = z.string().check(z.regex(/^[0-9a-f]{64}$/));

/** Largest body of POST /v1/credential and /v1/refill, bytes. */
export const MAX_CREDIT_BODY = 64 * 1024;

/**
 * POST /v1/credential body (Authorization: Bearer <grant>): an ACT IssuanceRequest and, optionally, a generic batch
 * of TokenRequests (the first batch), both base64url.
 */
export const credentialRequestSchema = z.strictObject({
  credit: base64url(2048),
  tokens: z.optional(base64url(48 * 1024)),
});
export type CredentialRequestBody = z.infer<typeof credentialRequestSchema>;

/**
 * POST /v1/credential answer: the ACT IssuanceResponse, its key, credits and the key's interval [ageOver, ageBelow)
 * (ageBelow only for a band credential), and the batch's answer.
 */
export const credentialAnswerSchema = z.strictObject({
  credit: base64url(2048),
  creditKeyId: hexId,
  credits: z.int().check(z.minimum(1), z.maximum(255)),
  ageOver: age,
  ageBelow: z.optional(ageBelow),
  tokens: z.optional(base64url(48 * 1024)),
});
export type CredentialAnswer = z.infer<typeof credentialAnswerSchema>;

/**
 * POST /v1/refill body (no credential of the person's: the proof is the payment): the credit key's id, an ACT
 * SpendProof for as many credits as there are TokenRequests in the generic batch `tokens`.
 */
export const refillRequestSchema = z.strictObject({
  creditKeyId: hexId,
  proof: base64url(16 * 1024),
  tokens: base64url(8 * 1024),
});
export type RefillRequestBody = z.infer<typeof refillRequestSchema>;

/** POST /v1/refill answer: the generic batch response, and the ACT Refund that makes the change credential. */
export const refillAnswerSchema = z.strictObject({
  tokens: base64url(8 * 1024),
  refund: base64url(2048),
});
export type RefillAnswer = z.infer<typeof refillAnswerSchema>;

/** GET /v1/providers answer: the providers a wallet may send a person to. */
export const providersAnswerSchema = z.strictObject({
  providers: z.array(
    z.strictObject({
      id: z.string().check(z.minLength(1), z.maxLength(128)),
      name: z.string().check(z.minLength(1), z.maxLength(256)),
      /** The name in other languages, by language tag ("fr"); `name` for any other. */
      names: z.optional(
        z.record(
          z.string().check(z.regex(/^[a-z]{2,3}$/)),
          z.string().check(z.minLength(1), z.maxLength(256)),
        ),
      ),
      verifyUrl: z.url(),
    }),
  ),
});
export type ProvidersAnswer = z.infer<typeof providersAnswerSchema>;

/*
 * GET /v1/report?day=YYYY-MM-DD — the transparency report of one closed UTC day: counts that name no person and no
 * site, signed by the gateway's report key (announced in the key log with kind "report") and chained day to day
 * (`prevHash` is the previous day's `hash`, "" on the first day). Every count is bucketed: published as a multiple
 * of REPORT_BUCKET, rounded down (0 means 0 to 9), so a count below the bucket never shows and no count can be
 * recovered from others (no total is published). key-log.ts hashes and verifies reports.
 */

/** Width of the buckets counts are rounded down to in a report. */
export const REPORT_BUCKET = 10;

/** A bucketed count: a multiple of REPORT_BUCKET, the true count being at most REPORT_BUCKET - 1 more. */
const bucketed = z.int().check(z.nonnegative(), z.multipleOf(REPORT_BUCKET));
const hexHash = z.string().check(z.regex(/^[0-9a-f]{64}$/));

/** One key epoch of a report: a key that issued or whose tokens were checked that day. */
export const reportEpochSchema = z.strictObject({
  keyId: hexHash,
  threshold: z.int().check(z.minimum(1), z.maximum(150)),
  /** Band keys only: the upper end (exclusive) of the key's interval. */
  ageBelow: z.optional(ageBelow),
  /** Tokens issued under this key. */
  issued: bucketed,
  /** Tokens of this key accepted by /v1/check. */
  accepted: bucketed,
});

/** The report's body: what is hashed and signed (see reportCanonical in key-log.ts). */
export const reportBodySchema = z.strictObject({
  version: z.literal(1),
  issuer: z.string().check(z.minLength(1), z.maxLength(255)),
  day: z.iso.date(),
  prevHash: z.string().check(z.regex(/^([0-9a-f]{64})?$/)),
  /** The report key's id (hex SHA-256 of its SPKI), as in the key log. */
  reportKeyId: hexHash,
  /** The bucket width of every count below. */
  bucket: z.literal(REPORT_BUCKET),
  /** The key log's last entry at the end of the day: a log rewritten later no longer matches. */
  keyLogHead: z.strictObject({ seq: z.int().check(z.nonnegative()), hash: hexHash }),
  epochs: z.array(reportEpochSchema).check(z.maxLength(1000)),
  /** Grants accepted and tokens issued per provider, with the provider's monthly quota (tokens, UTC month). */
  providers: z
    .array(
      z.strictObject({
        id: z.string().check(z.minLength(1), z.maxLength(128)),
        grants: bucketed,
        /** Of those grants, the ones that stated a band (age_below); absent when none (bucketed to 0). */
        bandGrants: z.optional(bucketed),
        tokens: bucketed,
        monthlyQuota: z.int().check(z.nonnegative()),
      }),
    )
    .check(z.maxLength(1000)),
  /** Checks refused, by gateway error code. */
  refused: z
    .array(z.strictObject({ code: z.string().check(z.regex(/^ERR_[A-Z0-9_]{1,60}$/)), count: bucketed }))
    .check(z.maxLength(100)),
  /** Key-log entries appended that day. */
  keyEvents: z
    .array(
      z.strictObject({
        seq: z.int().check(z.nonnegative()),
        kind: z.enum(["token", "credit", "report"]),
        event: z.enum(["created", "published", "retired", "expired"]),
        keyId: hexHash,
        threshold: z.int().check(z.minimum(0), z.maximum(150)),
        ageBelow: z.optional(ageBelow),
      }),
    )
    .check(z.maxLength(10_000)),
  /** Credit credentials issued and refills served (credit credentials, ACT). */
  credentials: bucketed,
  refills: bucketed,
});
export type ReportBody = z.infer<typeof reportBodySchema>;

/** GET /v1/report answer: the body, its hash (hex SHA-256 of its canonical text) and its ES256 signature. */
export const reportAnswerSchema = z.strictObject({
  report: reportBodySchema,
  hash: hexHash,
  /** ECDSA P-256 / SHA-256 over the canonical text, r || s (64 bytes), base64url. */
  signature: base64url(128),
});
export type ReportAnswer = z.infer<typeof reportAnswerSchema>;
