import { createHash } from "node:crypto";
import {
  type AgeInterval,
  type CheckAnswer,
  type CheckRequestBody,
  contains,
  DecodeError,
  fromBase64Url,
  Token,
  TokenChallenge,
  VerificationError,
} from "@blindgate/sdk/protocol";
import { GatewayError } from "../errors.js";
import { keyInterval } from "../issuer/intervals.js";
import { metric } from "../observability/metrics.js";
import type { Deps } from "../runtime.js";
import type { SiteRecord, TokenKeyRecord } from "../stores/index.js";
import { COUNTERS } from "./report-counts.js";

/*
 * Checking a token for a site, in order (cheapest refusals first, the single write last):
 *   1. decode the Token (ERR_TOKEN_MALFORMED) and the challenge it answers: the issuer's cross-origin one, or the
 *      site's own TokenChallenge naming this issuer (ERR_CHALLENGE_MALFORMED)
 *   2. verify it against the keys whose tokens are accepted now (ERR_TOKEN_UNKNOWN_KEY, ERR_TOKEN_INVALID)
 *   3. its key's interval K is inside the interval asked [minAge, ageBelow): K starts at minAge or above
 *      (ERR_TOKEN_BELOW_AGE) and, when the site asked for an upper bound, K has one at or below it
 *      (ERR_TOKEN_INTERVAL: a threshold token, or a wider band); neither says the token's interval, and both leave
 *      the token unspent
 *   4. spend it: one conditional write of SHA-256(token_key_id || nonce) until its key expires (ERR_TOKEN_SPENT)
 *   5. count what step 4 decided, for the transparency report (services/report-counts.ts)
 * The answer says the threshold met, the issuer and the key's expiry: nothing about providers or issuance.
 */

/** The spent-table id of a token: no token bytes are stored. */
export function spentId(token: Token): string {
  return createHash("sha256").update(token.tokenKeyId).update(token.nonce).digest("hex");
}

/**
 * Check and spend one token for an authenticated site. Throws GatewayError with the step's code.
 *
 * @example
 * ```ts
 * const answer = await checkToken(deps, site, { token, minAge: 18 }, deps.now());
 * ```
 */
export async function checkToken(
  deps: Deps,
  site: SiteRecord,
  body: CheckRequestBody,
  now: number,
): Promise<CheckAnswer> {
  const { config, stores } = deps;
  // 1.
  let token: Token;
  try {
    token = Token.decode(fromBase64Url(body.token));
  } catch {
    throw new GatewayError("ERR_TOKEN_MALFORMED", "token is not a type 0x0002 Token");
  }
  const challenge = expectedChallenge(body.challenge, deps.issuerChallenge, config.issuerName);
  // 2.
  let key: TokenKeyRecord;
  try {
    key = (await (await deps.keyCache.verifier(now)).verify(token, { challenge })).meta;
  } catch (error) {
    if (error instanceof VerificationError && error.code === "ERR_UNKNOWN_KEY") {
      throw new GatewayError("ERR_TOKEN_UNKNOWN_KEY", "no key accepted now signed this token");
    }
    if (error instanceof VerificationError || error instanceof DecodeError) {
      throw new GatewayError("ERR_TOKEN_INVALID", "the token does not verify");
    }
    throw error;
  }
  // 3.
  if (key.threshold < body.minAge) {
    metric("CheckRefused", 1, { code: "ERR_TOKEN_BELOW_AGE" });
    throw new GatewayError("ERR_TOKEN_BELOW_AGE", `the token does not prove age ${body.minAge}`);
  }
  if (!contains(asked(body), keyInterval(key))) {
    metric("CheckRefused", 1, { code: "ERR_TOKEN_INTERVAL" });
    throw new GatewayError("ERR_TOKEN_INTERVAL", `the token does not prove an age below ${body.ageBelow}`);
  }
  // 4. The write that decides: no token is accepted twice, anywhere, even under concurrent checks.
  const spend = await stores.spent.claim(spentId(token), { status: "used", expiresAt: key.validUntil }, now);
  // 5.
  if (!spend.claimed) {
    deps.reportCounts.record(now, { [COUNTERS.refused("ERR_TOKEN_SPENT")]: 1 });
    throw new GatewayError("ERR_TOKEN_SPENT", "this token was used already");
  }
  deps.reportCounts.record(now, { [COUNTERS.accepted(key.id, key.threshold, key.ageBelow)]: 1 });
  metric("Checks", 1, { site: site.id }); // per-site metering, from the logs (EMF)
  return {
    valid: true,
    ageOver: key.threshold,
    ...(key.ageBelow === undefined ? {} : { ageBelow: key.ageBelow }),
    issuer: config.issuerName,
    keyExpiresAt: new Date(key.validUntil * 1000).toISOString(),
  };
}

/** The interval a check asks: [minAge, ageBelow). */
function asked(body: CheckRequestBody): AgeInterval {
  return { from: body.minAge, below: body.ageBelow };
}

/** The challenge the token answers: the issuer's cross-origin one (encoded once per container), or the site's. */
function expectedChallenge(
  encoded: string | undefined,
  crossOrigin: Uint8Array,
  issuerName: string,
): Uint8Array {
  if (encoded === undefined) return crossOrigin;
  try {
    const challenge = fromBase64Url(encoded);
    if (TokenChallenge.decode(challenge).issuerName === issuerName) return challenge;
  } catch {
    // answered below
  }
  throw new GatewayError("ERR_CHALLENGE_MALFORMED", "challenge is not a TokenChallenge for this issuer");
}
