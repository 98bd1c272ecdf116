import {
  contains,
  formatInterval,
  type KeyLogEntry,
  MAX_LIVE_KEYS,
  ProtocolError,
  TOKEN_TYPE_BLIND_RSA,
  Token,
  TokenChallenge,
  type TokenVerifier,
  toHex,
  VerificationError,
} from "../protocol/index.js";
import type { GateInterval } from "./age-requirement.js";
import { keyInterval } from "./challenge.js";
import { GateError } from "./errors.js";
import { checkWithGateway } from "./gateway-check.js";
import type { KeyLogCheck } from "./key-log-check.js";
import type { IssuerKeys } from "./key-ring.js";
import type { LoggedKeys } from "./logged-keys.js";

/*
 * Accepting a token, in order (cheapest refusals first, the network last):
 *   1. type 0x0002 and the right length; read token_key_id
 *   2. find the key among the trusted issuers' directories (one rate-limited refresh for an unknown id)
 *   3. the key's age interval ("age-over", and "age-below" for a band) lies inside one the gate accepts, and the
 *      key is not past its "not-after"; the issuer's key log announces it (key consistency, read once per key)
 *   4. the signature verifies against the key, for the issuer's cross-origin TokenChallenge
 *   5. the issuer's gateway marks the token spent (/v1/check): single use everywhere, fail closed
 *
 * A key no directory lists any more may still be valid: a gateway's directory shows only the current and the next
 * key of each threshold, while tokens of a retired key stay valid until their "not-after". Such a token is checked
 * against the key logs: the one issuer whose log announces the key (with its SPKI) gets it, after the same offline
 * steps 3 and 4 against the logged key; no other gateway ever sees it. A key no log announces is UNKNOWN_KEY.
 */

/** What the site learns from an accepted token: the issuer and the age interval proved. Nothing else. */
export interface Redeemed {
  /** The interval the token's key proves. */
  interval: GateInterval;
  issuer: string;
  /** When the token's key stops being accepted (milliseconds): a band's age session ends there at the latest. */
  keyExpiresAtMs: number | undefined;
}

/** What {@link redeemToken} needs. */
export interface RedeemContext {
  ring: IssuerKeys;
  keyLog: KeyLogCheck;
  /** Verifiers of keys known from key logs only (retired keys). */
  loggedKeys: LoggedKeys;
  /** The intervals a token may prove (the gate's own, or every gate's at the shared proof endpoint). */
  accepts: readonly GateInterval[];
  nowMs: number;
}

/**
 * Verify a token offline, then spend it at its gateway. Throws GateError with the step's code.
 *
 * @example
 * ```ts
 * const { ageOver } = await redeemToken(tokenBytes, {
 *   ring, keyLog, loggedKeys, accepts: [{ from: 18 }], nowMs: Date.now(),
 * });
 * ```
 */
export async function redeemToken(bytes: Uint8Array, context: RedeemContext): Promise<Redeemed> {
  const { ring, nowMs } = context;
  // 1.
  let token: Token;
  try {
    token = Token.decode(bytes);
  } catch (cause) {
    throw new GateError("ERR_MALFORMED_TOKEN", "token: not a Token of type 0x0002", { cause });
  }
  const keyId = toHex(token.tokenKeyId);
  // 2.
  let found: Awaited<ReturnType<IssuerKeys["find"]>>;
  try {
    found = await ring.find(keyId);
  } catch (error) {
    if (error instanceof GateError && error.code === "ERR_UNKNOWN_KEY")
      return redeemUnlisted(bytes, token, context, error);
    throw error;
  }
  const { issuer, key, verifier } = found;
  // 3.
  const interval = keyInterval(key);
  const asked = fitting(interval, context.accepts);
  if (key.notAfter !== undefined && key.notAfter <= Math.floor(nowMs / 1000)) {
    throw new GateError("ERR_KEY_EXPIRED", "token: its key has expired");
  }
  // 3a. bounded keys, in the directory too (issuers without a key log included): at most current and next.
  const nowSeconds = Math.floor(nowMs / 1000);
  const siblings = (issuer.directory.peek()?.directory.tokenKeys ?? []).filter(
    (k) =>
      k.tokenType === TOKEN_TYPE_BLIND_RSA &&
      k.ageOver === key.ageOver &&
      k.ageBelow === key.ageBelow &&
      (k.notAfter === undefined || k.notAfter > nowSeconds),
  );
  if (siblings.length > MAX_LIVE_KEYS) {
    throw new GateError(
      "ERR_KEY_SET",
      `issuer directory: ${siblings.length} keys for ages ${formatInterval(asked.proved)}, more than ${MAX_LIVE_KEYS}`,
    );
  }
  // 3b. key consistency: the key is announced in the issuer's key log (read once per key)
  if (issuer.keyLog) await context.keyLog.assertAnnounced(issuer.gateway, keyId);
  // 4.
  await verifyOffline(verifier, token, issuer.issuerName);
  // 5.
  await checkWithGateway({ gateway: issuer.gateway, siteKey: issuer.siteKey, token: bytes, ...asked.wire });
  return {
    interval: asked.proved,
    issuer: issuer.issuerName,
    keyExpiresAtMs: key.notAfter === undefined ? undefined : key.notAfter * 1000,
  };
}

/**
 * The accepted interval a key's interval fits in, with the check's wire fields for it. Throws GateError:
 * THRESHOLD_TOO_LOW when the key starts below every accepted interval (or proves no age), OUTSIDE_BAND when it
 * starts high enough for some but reaches above each of them (a threshold or an adult's key at a teen band).
 */
function fitting(
  interval: GateInterval | undefined,
  accepts: readonly GateInterval[],
): { proved: GateInterval; wire: { minAge: number; ageBelow?: number } } {
  // The tightest interval that holds it: the gateway then checks the band too, not only the lower age.
  const fit =
    interval === undefined
      ? undefined
      : accepts
          .filter((a) => contains(a, interval))
          .sort((a, b) => (a.below ?? Number.POSITIVE_INFINITY) - (b.below ?? Number.POSITIVE_INFINITY))[0];
  if (interval !== undefined && fit !== undefined) {
    return {
      proved: interval,
      wire: fit.below === undefined ? { minAge: fit.from } : { minAge: fit.from, ageBelow: fit.below },
    };
  }
  const asked = accepts.map(formatInterval).join(", ");
  if (interval !== undefined && accepts.some((a) => a.from <= interval.from)) {
    throw new GateError(
      "ERR_OUTSIDE_BAND",
      `token: its key proves ${formatInterval(interval)}, not inside ${asked}`,
    );
  }
  throw new GateError("ERR_THRESHOLD_TOO_LOW", `token: its key does not prove ${asked}`);
}

/**
 * A token whose key no directory lists (a retired key, whose tokens stay valid until its "not-after"): only an
 * issuer whose key log announces that key may see it. The log entry carries the key's SPKI, so the token is
 * verified here first (threshold, signature, challenge), then sent to that one gateway. A key no log announces is
 * UNKNOWN_KEY, and the token goes nowhere.
 */
async function redeemUnlisted(
  bytes: Uint8Array,
  token: Token,
  context: RedeemContext,
  unknown: GateError,
): Promise<Redeemed> {
  const keyId = toHex(token.tokenKeyId);
  let failure: unknown;
  for (const issuer of context.ring.issuers) {
    if (!issuer.keyLog) continue;
    let entry: KeyLogEntry | undefined;
    try {
      entry = await context.keyLog.findAnnounced(issuer.gateway, keyId);
    } catch (error) {
      failure ??= error;
      continue;
    }
    if (entry === undefined || (entry.kind ?? "token") !== "token") continue;
    const asked = fitting(
      entry.ageBelow === undefined
        ? { from: entry.threshold }
        : { from: entry.threshold, below: entry.ageBelow },
      context.accepts,
    );
    const verifier = await context.loggedKeys.verifier(entry);
    await verifyOffline(verifier, token, issuer.issuerName);
    await checkWithGateway({ gateway: issuer.gateway, siteKey: issuer.siteKey, token: bytes, ...asked.wire });
    return { interval: asked.proved, issuer: issuer.issuerName, keyExpiresAtMs: entry.validUntil * 1000 };
  }
  // No log announces the key. When a log could not be read, say so rather than blame the token.
  throw failure ?? unknown;
}

/** Step 4: the signature and the challenge, for the issuer's cross-origin TokenChallenge. */
async function verifyOffline(
  verifier: TokenVerifier<unknown>,
  token: Token,
  issuerName: string,
): Promise<void> {
  const challenge = TokenChallenge.crossOrigin(issuerName).encode();
  try {
    await verifier.verify(token, { challenge });
  } catch (cause) {
    if (cause instanceof VerificationError && cause.code === "ERR_UNKNOWN_KEY") {
      throw new GateError("ERR_UNKNOWN_KEY", "token: its key cannot be used", { cause });
    }
    if (cause instanceof ProtocolError)
      throw new GateError("ERR_INVALID_TOKEN", "token: does not verify", { cause });
    throw cause;
  }
}
