import { type AgeInterval, contains, parseIntervalKey } from "@blindgate/sdk/protocol";
import { GatewayError, GrantError } from "../errors.js";
import type { ProviderRecord, TokenKeyRecord } from "../stores/index.js";
import type { GrantClaims } from "./grants.js";

/*
 * Which keys evidence may buy, in one place (the issue, credential and refill routes all ask here):
 *
 *   a grant proving P = [age_over, age_below) may get a key of interval K iff P ⊆ K
 *     (K.from <= age_over; and K has no upper end, or the grant states age_below <= K.below),
 *   and a band key only if its tokens (or credentials) die at or before the grant's below_until: no token proves
 *   a band after its holder may have left it;
 *   a credential of credit key C buys tokens of key K iff C ⊆ K, and a band key only if its tokens die at or
 *   before the credential's key does (a refill knows nothing of the person: the credit key's life is the bound).
 *
 * A threshold key has no upper end, so nothing about bands changes what a threshold grant or credential buys.
 */

/** The interval of a key: [threshold, ageBelow). */
export function keyInterval(key: Pick<TokenKeyRecord, "threshold" | "ageBelow">): AgeInterval {
  return key.ageBelow === undefined ? { from: key.threshold } : { from: key.threshold, below: key.ageBelow };
}

/** The interval a grant proves: [age_over, age_below). */
export function grantInterval(claims: Pick<GrantClaims, "age_over" | "age_below">): AgeInterval {
  return claims.age_below === undefined
    ? { from: claims.age_over }
    : { from: claims.age_over, below: claims.age_below };
}

/** Is the key a band key (an upper end)? */
export function isBandKey(key: Pick<TokenKeyRecord, "ageBelow">): boolean {
  return key.ageBelow !== undefined;
}

/**
 * Throw the grant's refusal for a key it may not buy: ERR_GRANT_THRESHOLD (the key's lower end is above age_over),
 * ERR_GRANT_BAND (a band key and the grant proves no upper end inside it), ERR_GRANT_BAND_EXPIRY (a band key whose
 * tokens outlive below_until).
 */
export function assertGrantBuys(
  claims: Pick<GrantClaims, "age_over" | "age_below" | "below_until">,
  key: Pick<TokenKeyRecord, "threshold" | "ageBelow" | "validUntil">,
): void {
  if (key.threshold > claims.age_over) {
    throw new GrantError(
      "ERR_GRANT_THRESHOLD",
      `a requested key's threshold is above the grant's ${claims.age_over}`,
    );
  }
  if (key.ageBelow === undefined) return;
  if (!contains(keyInterval(key), grantInterval(claims))) {
    throw new GrantError("ERR_GRANT_BAND", "a requested band key's interval does not contain the grant's");
  }
  if (claims.below_until === undefined || key.validUntil > claims.below_until) {
    throw new GrantError(
      "ERR_GRANT_BAND_EXPIRY",
      "a requested band key's tokens outlive the grant's below_until",
    );
  }
}

/** True when the grant may buy the key ({@link assertGrantBuys} would not throw). */
export function grantBuys(
  claims: Pick<GrantClaims, "age_over" | "age_below" | "below_until">,
  key: Pick<TokenKeyRecord, "threshold" | "ageBelow" | "validUntil">,
): boolean {
  try {
    assertGrantBuys(claims, key);
    return true;
  } catch {
    return false;
  }
}

/**
 * Throw the credential's refusal for a token key it may not buy: ERR_CREDIT_THRESHOLD (the key's lower end is above
 * the credential's), ERR_CREDIT_BAND (a band key that does not contain the credential's band, or whose tokens
 * outlive the credential's key).
 */
export function assertCreditBuys(
  credit: Pick<TokenKeyRecord, "threshold" | "ageBelow" | "validUntil">,
  key: Pick<TokenKeyRecord, "threshold" | "ageBelow" | "validUntil">,
): void {
  if (key.threshold > credit.threshold) {
    throw new GatewayError(
      "ERR_CREDIT_THRESHOLD",
      `this credential buys tokens up to age ${credit.threshold}`,
    );
  }
  if (key.ageBelow === undefined) return;
  if (!contains(keyInterval(key), keyInterval(credit)) || key.validUntil > credit.validUntil) {
    throw new GatewayError("ERR_CREDIT_BAND", "this credential does not buy tokens of that band key");
  }
}

/** The bands a provider may attest (the providers table keeps their ids, "13-16"). */
export function providerBands(provider: Pick<ProviderRecord, "bands">): AgeInterval[] {
  return (provider.bands ?? []).map(parseIntervalKey);
}

/** May the provider attest the grant's interval? Thresholds: yes (the ceiling clamps them); bands: by its rights. */
export function providerMayAttest(provider: Pick<ProviderRecord, "bands">, proven: AgeInterval): boolean {
  if (proven.below === undefined) return true;
  return providerBands(provider).some((band) => contains(band, proven));
}
