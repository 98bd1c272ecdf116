import { assertKeyLog, GatewayClientError, readKeyLog } from "@blindgate/sdk/client";
import {
  checkKeySet,
  creditKeyId,
  DIRECTORY_PATH,
  directoryWithinKeyBounds,
  type IssuerDirectory,
  isKeyAnnounced,
  type KeyLogEntry,
  parseDirectory,
  toHex,
  tokenKeyId,
} from "@blindgate/sdk/protocol/internal";
import { gatewayFetch, IssueError, type WalletConfig } from "./issue.js";
import { getKeyLogCache, putKeyLogCache } from "./store.js";

/*
 * The gateway's keys, as the wallet accepts them (key consistency, bounded):
 * - the key log's hash chain is intact (verifyKeyLog);
 * - the log holds at most two live keys per threshold and kind, each issuing for at least an hour
 *   (checkKeySet, the SDK's one implementation, also used by the site gate and the auditor);
 * - the directory lists at most two keys per age interval and kind (directoryWithinKeyBounds), and every key the
 *   wallet blinds under or buys a credential of was announced in that log.
 * A gateway that fails any of these could give groups of people keys of their own: the wallet then uses no key and
 * says so (KEY_SET_REFUSED, KEY_LOG_BROKEN).
 *
 * The verified log is kept (IndexedDB): a proof uses the copy fetched at the last refill or visit of the wallet
 * page when it is younger than KEY_LOG_MAX_AGE_SECONDS, so that answering a site costs no request to the gateway
 * (a request at proof time would tell the gateway when this browser proves its age).
 */

/** How long a verified key log serves a proof without a new fetch. */
export const KEY_LOG_MAX_AGE_SECONDS = 86_400;

/**
 * Fetch every page of the key log (the SDK client's reader: it stops where a gateway's `next` does not advance),
 * check its chain and its bounds (the SDK's assertKeyLog, as the site gate and the auditor do), and keep it.
 */
export async function fetchKeyLog(config: WalletConfig, now: number): Promise<KeyLogEntry[]> {
  const read = await readKeyLog(0, async (from) => {
    const response = await gatewayFetch(`${config.gatewayUrl}/v1/key-log?from=${from}`, {
      cache: "no-cache",
    });
    if (!response.ok) throw new IssueError("KEY_LOG_UNAVAILABLE");
    return { json: await response.json().catch(() => undefined), cacheControl: null };
  }).catch((e: unknown) => {
    throw e instanceof IssueError ? e : new IssueError("KEY_LOG_UNAVAILABLE");
  });
  await assertKeyLogFor(read.entries, now);
  await putKeyLogCache({ entries: read.entries, fetchedAt: now });
  return read.entries;
}

/** assertKeyLog's refusals in the wallet's words: a broken chain, or a key set that could single people out. */
async function assertKeyLogFor(entries: KeyLogEntry[], now: number): Promise<void> {
  try {
    await assertKeyLog(entries, now);
  } catch (e) {
    if (e instanceof GatewayClientError && e.code === "ERR_KEY_LOG_BROKEN")
      throw new IssueError("KEY_LOG_BROKEN");
    throw new IssueError("KEY_SET_REFUSED");
  }
}

/** The kept log when young enough (checked again against `now`'s bounds), else a fresh one. */
export async function keyLogForProof(config: WalletConfig, now: number): Promise<KeyLogEntry[]> {
  const cached = await getKeyLogCache();
  if (cached !== undefined && cached.fetchedAt <= now && now - cached.fetchedAt < KEY_LOG_MAX_AGE_SECONDS) {
    if (!checkKeySet(cached.entries, now).ok) throw new IssueError("KEY_SET_REFUSED");
    return cached.entries;
  }
  return fetchKeyLog(config, now);
}

/** A token key of the directory, with what the wallet keeps of it. */
export interface IssuingTokenKey {
  /** The lower end of the key's interval. */
  threshold: number;
  /** A band key's upper end (exclusive). */
  below?: number;
  tokenKey: Uint8Array;
  keyId: string;
  notAfter: number;
}

/** A credit key of the directory, with its id. */
export interface IssuingCreditKey {
  ageOver: number;
  /** A band credit key's upper end (exclusive): its credentials are a teen's. */
  ageBelow?: number;
  actKey: Uint8Array;
  id: string;
  issueUntil: number;
  notAfter: number;
}

/** The gateway's keys that issue now, each announced in the log. */
export interface GatewayKeys {
  directory: IssuerDirectory;
  log: KeyLogEntry[];
  /** The current token key of each threshold. */
  tokenKeys: Map<number, IssuingTokenKey>;
  /** The current token key of each band (never in `tokenKeys`). */
  bandKeys: IssuingTokenKey[];
  /** Credit keys that issue credentials now. */
  creditKeys: IssuingCreditKey[];
  /** Credit keys whose credentials still buy tokens (by id). */
  validCreditKeys: Map<string, IssuingCreditKey>;
}

/** Read the directory and the log, and keep the keys that pass every check above. */
export async function gatewayKeys(config: WalletConfig, now: number): Promise<GatewayKeys> {
  const log = await fetchKeyLog(config, now);
  // revalidated (ETag): a directory cached across a key rotation would name a key that no longer issues
  const response = await gatewayFetch(`${config.gatewayUrl}${DIRECTORY_PATH}`, { cache: "no-cache" });
  if (!response.ok) throw new IssueError("DIRECTORY_UNAVAILABLE");
  let directory: IssuerDirectory;
  try {
    directory = parseDirectory(await response.json());
  } catch {
    throw new IssueError("DIRECTORY_UNAVAILABLE");
  }
  if (!directoryWithinKeyBounds(directory, now)) throw new IssueError("KEY_SET_REFUSED");
  const tokenKeys = new Map<number, IssuingTokenKey>();
  const bands = new Map<string, IssuingTokenKey>();
  for (const key of directory.tokenKeys) {
    if (key.ageOver === undefined || key.tokenType !== 2) continue;
    // a band key [13, 16) is not the threshold 13: it must never answer "13 or older"
    const band = key.ageBelow !== undefined ? `${key.ageOver}-${key.ageBelow}` : undefined;
    if (band === undefined ? tokenKeys.has(key.ageOver) : bands.has(band)) continue;
    if ((key.notBefore ?? 0) > now) continue; // the next key: published ahead, not issuing yet
    const notAfter = key.notAfter ?? Number.MAX_SAFE_INTEGER;
    if (notAfter <= now) continue;
    const keyId = toHex(await tokenKeyId(key.tokenKey));
    if (!isKeyAnnounced(log, keyId, now)) continue;
    const entry = { threshold: key.ageOver, tokenKey: key.tokenKey, keyId, notAfter };
    if (band === undefined) tokenKeys.set(key.ageOver, entry);
    else bands.set(band, { ...entry, below: key.ageBelow as number });
  }
  const creditKeys: IssuingCreditKey[] = [];
  const validCreditKeys = new Map<string, IssuingCreditKey>();
  for (const key of directory.creditKeys ?? []) {
    if (key.notAfter <= now || key.notBefore > now) continue;
    const id = await creditKeyId(key.actKey);
    if (!isKeyAnnounced(log, id, now)) continue;
    const entry = {
      ageOver: key.ageOver,
      ...(key.ageBelow === undefined ? {} : { ageBelow: key.ageBelow }),
      actKey: key.actKey,
      id,
      issueUntil: key.issueUntil,
      notAfter: key.notAfter,
    };
    validCreditKeys.set(id, entry);
    if (key.issueUntil > now) creditKeys.push(entry);
  }
  return { directory, log, tokenKeys, bandKeys: [...bands.values()], creditKeys, validCreditKeys };
}

/** Thresholds the gateway issues tokens for, from the log (token keys only; band keys are not thresholds). */
export function tokenThresholds(log: readonly KeyLogEntry[], now: number): Set<number> {
  return new Set(
    log
      .filter((e) => (e.kind ?? "token") === "token" && e.validUntil > now && !isBand(e))
      .map((e) => e.threshold),
  );
}

/** A key (directory or log entry) of an age band [from, below): it carries an upper end. */
export function isBand(key: object): boolean {
  return "ageBelow" in key && typeof key.ageBelow === "number";
}
