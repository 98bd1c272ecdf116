import { createHash } from "node:crypto";
import {
  DecodeError,
  fromBase64Url,
  Token,
  TokenChallenge,
  VerificationError,
} from "@blindgate/sdk/protocol";
import * as z from "zod/mini";
import { hashApiKey } from "../admin/operations.js";
import { bearer, HttpError, json, jsonBody, metric, requireMethod } from "../http.js";
import { keyRingFor } from "../issuer/keys.js";
import type { Deps, DepsSource } from "../runtime.js";
import type { SiteRecord, TokenKeyRecord } from "../stores/types.js";
import { httpRoute } from "./route.js";

/*
 * POST /v1/check — for sites: verify a token and spend it, once, globally.
 *
 *   Authorization: Bearer <site API key>        (the sites table keeps only its SHA-256)
 *   { "token": base64url, "minAge": 18, "challenge"?: base64url TokenChallenge }
 *   -> 200 { valid: true, ageOver, issuer, keyExpiresAt }
 *
 * The answer says nothing about providers or issuance. The spent record is SHA-256(token_key_id || nonce) and an
 * expiry (the key's end of validity): no site, no token bytes, no address.
 *
 *   401 ERR_SITE_KEY_MISSING / ERR_SITE_KEY_INVALID, 403 ERR_SITE_SUSPENDED
 *   415 ERR_MEDIA_TYPE, 400 ERR_BAD_REQUEST, 400 ERR_TOKEN_MALFORMED, 400 ERR_CHALLENGE_MALFORMED
 *   422 ERR_TOKEN_UNKNOWN_KEY (no key whose tokens are accepted now), ERR_TOKEN_INVALID (signature or challenge),
 *       ERR_TOKEN_BELOW_AGE (the token's threshold is below minAge)
 *   409 ERR_TOKEN_SPENT
 */

const MAX_CHECK_BODY = 4096;

const base64url = (max: number) =>
  z.string().check(z.minLength(1), z.maxLength(max), z.regex(/^[A-Za-z0-9_-]+={0,2}$/));

const checkBody = z.strictObject({
  token: base64url(1024),
  minAge: z.int().check(z.minimum(1), z.maximum(150)),
  challenge: z.optional(base64url(2048)),
});

export function sha256Hex(...parts: Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}

/**
 * Sites by API key hash, per container, for SITE_CACHE_SECONDS: a check costs one conditional write, not a read
 * and a write. A suspension takes effect within that time. Unknown keys are remembered too (briefly), so a
 * client hammering with a bad key does not hammer the table.
 */
export const SITE_CACHE_SECONDS = 60;
const UNKNOWN_SITE_CACHE_SECONDS = 10;
const SITE_CACHE_SIZE = 10_000;

class SiteCache {
  readonly #entries = new Map<string, { site: SiteRecord | undefined; until: number }>();

  async get(
    hash: string,
    now: number,
    load: () => Promise<SiteRecord | undefined>,
  ): Promise<SiteRecord | undefined> {
    const hit = this.#entries.get(hash);
    if (hit !== undefined && hit.until > now) return hit.site;
    const site = await load();
    if (this.#entries.size >= SITE_CACHE_SIZE) this.#entries.clear();
    this.#entries.set(hash, {
      site,
      until: now + (site === undefined ? UNKNOWN_SITE_CACHE_SECONDS : SITE_CACHE_SECONDS),
    });
    return site;
  }
}

const siteCaches = new WeakMap<Deps, SiteCache>();
function siteCacheFor(deps: Deps): SiteCache {
  let cache = siteCaches.get(deps);
  if (cache === undefined) {
    cache = new SiteCache();
    siteCaches.set(deps, cache);
  }
  return cache;
}

export function createCheckHandler(source?: DepsSource) {
  return httpRoute(async (event, deps) => {
    requireMethod(event, "POST");
    const { stores, config } = deps;
    const now = deps.now();

    const apiKey = bearer(event);
    if (apiKey === undefined) {
      throw new HttpError(401, "ERR_SITE_KEY_MISSING", "a site API key is required (Bearer)", {
        "www-authenticate": "Bearer",
      });
    }
    const apiKeyHash = hashApiKey(apiKey);
    const site = await siteCacheFor(deps).get(apiKeyHash, now, () => stores.sites.getByKeyHash(apiKeyHash));
    if (site === undefined) throw new HttpError(401, "ERR_SITE_KEY_INVALID", "unknown site API key");
    if (site.status !== "active") throw new HttpError(403, "ERR_SITE_SUSPENDED", "this site is suspended");

    const parsed = checkBody.safeParse(jsonBody(event, MAX_CHECK_BODY));
    if (!parsed.success)
      throw new HttpError(400, "ERR_BAD_REQUEST", "expected { token, minAge, challenge? }");
    const body = parsed.data;

    let token: Token;
    try {
      token = Token.decode(fromBase64Url(body.token));
    } catch {
      throw new HttpError(400, "ERR_TOKEN_MALFORMED", "token is not a type 0x0002 Token");
    }
    let challenge: Uint8Array;
    if (body.challenge === undefined) {
      challenge = TokenChallenge.crossOrigin(config.issuerName).encode();
    } else {
      try {
        challenge = fromBase64Url(body.challenge);
        if (TokenChallenge.decode(challenge).issuerName !== config.issuerName) throw new Error("issuer");
      } catch {
        throw new HttpError(
          400,
          "ERR_CHALLENGE_MALFORMED",
          "challenge is not a TokenChallenge for this issuer",
        );
      }
    }

    let key: TokenKeyRecord;
    try {
      key = (await (await keyRingFor(deps).verifier(now)).verify(token, { challenge })).meta;
    } catch (error) {
      if (error instanceof VerificationError && error.code === "ERR_UNKNOWN_KEY") {
        throw new HttpError(422, "ERR_TOKEN_UNKNOWN_KEY", "no key accepted now signed this token");
      }
      if (error instanceof VerificationError || error instanceof DecodeError) {
        throw new HttpError(422, "ERR_TOKEN_INVALID", "the token does not verify");
      }
      throw error;
    }
    if (key.threshold < body.minAge) {
      throw new HttpError(
        422,
        "ERR_TOKEN_BELOW_AGE",
        `the token proves age ${key.threshold}, not ${body.minAge}`,
      );
    }

    const spentId = sha256Hex(token.tokenKeyId, token.nonce);
    if (!(await stores.spent.useOnce(spentId, key.validUntil, now))) {
      throw new HttpError(409, "ERR_TOKEN_SPENT", "this token was used already");
    }
    metric("Checks", 1, { site: site.id }); // per-site metering, from the logs (EMF)
    return json(200, {
      valid: true,
      ageOver: key.threshold,
      issuer: config.issuerName,
      keyExpiresAt: new Date(key.validUntil * 1000).toISOString(),
    });
  }, source);
}

export const handler = createCheckHandler();
