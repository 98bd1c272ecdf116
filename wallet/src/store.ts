import type { KeyLogEntry, PendingToken } from "@blindgate/sdk/protocol";
import { NO_PACE, type Pace } from "./pace.js";

/*
 * The wallet's memory, in its own origin's IndexedDB ("blindgate-wallet"):
 * - "tokens": one record per unused token, with its threshold, key id and the key's end of validity. A token handed
 *   to a site is held for that site's origin (`heldFor`) until the site's page reports that its proof endpoint
 *   accepted it; a token the site could not check is offered again to that origin only, never to another site
 *   (two sites holding the same token could link the visit).
 * - "facts": the person's last age check (the threshold the provider attested, and when), so that a 15-year-old is
 *   told "your check says 15 or older" at an 18 gate instead of being sent to a provider at every attempt;
 *   the credit credential (ACT) and a refill in flight; the thresholds sites asked for (numbers, no site, no date
 *   of visit: the day it was last asked) so that only those keep a pool; the first-use wait after a fresh grant; the
 *   last verified key log.
 */

export interface StoredToken {
  id?: number;
  /** The lower end of the token key's age interval ("threshold" for a key with no upper end). */
  threshold: number;
  /** The upper end (exclusive) of a band key's interval; absent for a threshold. */
  below?: number;
  /** base64url Token. */
  token: string;
  /** hex token_key_id. */
  keyId: string;
  /** Epoch seconds after which the key's tokens are refused. */
  notAfter: number;
  /** The origin this token was handed to, while its proof's outcome is not known. */
  heldFor?: string;
}

/** The last age check: the threshold a provider attested (0: under the lowest), at epoch seconds `at`. */
export interface AgeCheck {
  ageOver: number;
  /** The grant's age_below: the person was below this age (a band check). */
  ageBelow?: number;
  at: number;
}

/**
 * A refill sent (or about to be) and not yet answered: the exact body, the ACT state and the blinded tokens'
 * secrets, kept until the refund is in so that a retry sends the SAME body (the gateway answers it again; a
 * different one would be refused: ERR_CREDIT_SPENT).
 */
export interface PendingRefill {
  body: { creditKeyId: string; proof: string; tokens: string };
  /** base64url PreRefundState. */
  state: string;
  tokens: { threshold: number; below?: number; keyId: string; notAfter: number; pending: PendingToken }[];
}

/** The credit credential (ACT): buys tokens of any threshold up to `ageOver` until `notAfter`. */
export interface StoredCredential {
  /** base64url CreditCredential. */
  credential: string;
  /** hex id of its credit key. */
  creditKeyId: string;
  /** base64url ACT public key. */
  actKey: string;
  ageOver: number;
  /** A band credential's upper end (exclusive): its credit key's band. */
  ageBelow?: number;
  /** Epoch seconds: the credit key's end, when re-verification is due. */
  notAfter: number;
  /** Credits left. */
  credits: number;
  pending?: PendingRefill;
}

/** The wait before the first proof after a fresh grant (epoch ms), and what it was chosen from. */
export interface FirstUse {
  until: number;
  waitMs: number;
  /** The published issuances per hour, when the gateway gave one. */
  rate?: number;
  k: number;
}

/** The last key log the wallet verified, and when it was fetched (epoch seconds). */
export interface KeyLogCache {
  entries: KeyLogEntry[];
  fetchedAt: number;
}

/** Thresholds sites asked for: threshold -> epoch seconds of the day (UTC midnight) it was last asked. */
export type UsedThresholds = Record<number, number>;

const DB = "blindgate-wallet";
const TOKENS = "tokens";
const FACTS = "facts";
const LAST_CHECK = "last-check";
const CREDENTIAL = "credential";
const FIRST_USE = "first-use";
const USED = "used-thresholds";
const KEY_LOG = "key-log";
const PACE = "consent-pace";

/**
 * One connection for the page's life, opened at the first use (opening one per operation cost a few ms each, a
 * dozen times on the way to Confirm). A newer wallet in another tab that upgrades the database makes this page
 * let go of it (versionchange), and the next operation opens it again.
 */
let connection: Promise<IDBDatabase> | undefined;

function open(): Promise<IDBDatabase> {
  connection ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB, 2);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      if (event.oldVersion < 1) {
        const store = db.createObjectStore(TOKENS, { keyPath: "id", autoIncrement: true });
        store.createIndex("threshold", "threshold");
      }
      if (event.oldVersion < 2) db.createObjectStore(FACTS);
    };
    request.onsuccess = () => {
      const db = request.result;
      const forget = () => {
        db.close();
        connection = undefined;
      };
      db.onversionchange = forget;
      db.onclose = () => {
        connection = undefined;
      };
      resolve(db);
    };
    request.onerror = () => {
      connection = undefined;
      reject(request.error);
    };
  });
  return connection;
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

async function write(store: string, act: (s: IDBObjectStore) => void): Promise<void> {
  return writeMany([store], (tx) => act(tx.objectStore(store)));
}

/** One transaction over several stores: all of it lands, or none. */
async function writeMany(stores: string[], act: (tx: IDBTransaction) => void): Promise<void> {
  const tx = (await open()).transaction(stores, "readwrite");
  act(tx);
  await done(tx);
}

async function read<T>(store: string, act: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  const tx = (await open()).transaction(store, "readonly");
  const request = act(tx.objectStore(store));
  await done(tx);
  return request.result as T;
}

export function addTokens(tokens: readonly StoredToken[]): Promise<void> {
  return write(TOKENS, (s) => {
    for (const t of tokens) s.add(t);
  });
}

export function allTokens(): Promise<StoredToken[]> {
  return read<StoredToken[]>(TOKENS, (s) => s.getAll());
}

export function removeTokens(ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return Promise.resolve();
  return write(TOKENS, (s) => {
    for (const id of ids) s.delete(id);
  });
}

/** Hold a token for the origin it is handed to (kept until the site reports its outcome). */
export function holdToken(token: StoredToken, origin: string): Promise<void> {
  return write(TOKENS, (s) => s.put({ ...token, heldFor: origin }));
}

export function lastCheck(): Promise<AgeCheck | undefined> {
  return read<AgeCheck | undefined>(FACTS, (s) => s.get(LAST_CHECK));
}

export function recordCheck(check: AgeCheck): Promise<void> {
  return write(FACTS, (s) => s.put(check, LAST_CHECK));
}

export function getCredential(): Promise<StoredCredential | undefined> {
  return read<StoredCredential | undefined>(FACTS, (s) => s.get(CREDENTIAL));
}

export function putCredential(credential: StoredCredential): Promise<void> {
  return write(FACTS, (s) => s.put(credential, CREDENTIAL));
}

export function deleteCredential(): Promise<void> {
  return write(FACTS, (s) => s.delete(CREDENTIAL));
}

/** A refill's outcome, at once: its tokens added and the change credential in place of the spent one. */
export function commitRefill(tokens: readonly StoredToken[], credential: StoredCredential): Promise<void> {
  return writeMany([TOKENS, FACTS], (tx) => {
    const store = tx.objectStore(TOKENS);
    for (const t of tokens) store.add(t);
    tx.objectStore(FACTS).put(credential, CREDENTIAL);
  });
}

export function getFirstUse(): Promise<FirstUse | undefined> {
  return read<FirstUse | undefined>(FACTS, (s) => s.get(FIRST_USE));
}

export function putFirstUse(firstUse: FirstUse): Promise<void> {
  return write(FACTS, (s) => s.put(firstUse, FIRST_USE));
}

export async function usedThresholds(): Promise<UsedThresholds> {
  return (await read<UsedThresholds | undefined>(FACTS, (s) => s.get(USED))) ?? {};
}

export function putUsedThresholds(used: UsedThresholds): Promise<void> {
  return write(FACTS, (s) => s.put(used, USED));
}

export function getKeyLogCache(): Promise<KeyLogCache | undefined> {
  return read<KeyLogCache | undefined>(FACTS, (s) => s.get(KEY_LOG));
}

export function putKeyLogCache(cache: KeyLogCache): Promise<void> {
  return write(FACTS, (s) => s.put(cache, KEY_LOG));
}

/** Recent answers by origin (pace.ts: kept a minute) and the last consent layout. */
export async function getPace(): Promise<Pace> {
  return (await read<Pace | undefined>(FACTS, (s) => s.get(PACE))) ?? NO_PACE;
}

export function putPace(pace: Pace): Promise<void> {
  return write(FACTS, (s) => s.put(pace, PACE));
}

/** Delete every token and fact (the credential included). */
export async function forgetEverything(): Promise<void> {
  await write(TOKENS, (s) => s.clear());
  await write(FACTS, (s) => s.clear());
}
