import type { KeyLogEntry } from "@blindgate/sdk/protocol";

/*
 * What the gateway keeps, as interfaces. One implementation: DynamoDB (dynamo/), used on AWS and locally
 * (dynalite or DynamoDB Local speak the same HTTP API), so there is a single code path to test.
 *
 * Times are epoch seconds throughout (the unit of DynamoDB's TTL attribute).
 */

/** A token key (type 0x0002) for one age threshold, with its windows. */
export interface TokenKeyRecord {
  /**
   * "token": an RSA token key (type 0x0002); "credit": an ACT credit-credential key, whose `spki` holds the 32-byte
   * ACT public key and whose `sealedPrivateKey` the ACT secret. Both live the same life (below), on their own epochs.
   */
  readonly kind: "token" | "credit";
  /** token_key_id, hex (SHA-256 of the SPKI, or of the ACT public key). */
  readonly id: string;
  /** Last byte of token_key_id (RFC 9578 truncated_token_key_id). */
  readonly truncatedId: number;
  /** The age threshold this key certifies: a token of this key proves "age >= threshold". */
  readonly threshold: number;
  /** RFC 9578 RSASSA-PSS SPKI. */
  readonly spki: Uint8Array;
  /** Published in the directory from `publishAt`, issues from `notBefore` until `issueUntil`, checks until `validUntil`. */
  readonly publishAt: number;
  readonly notBefore: number;
  readonly issueUntil: number;
  readonly validUntil: number;
  /** The private key, sealed (AES-256-GCM under a data key; see functions/issuer/key-vault.ts). Secret. */
  readonly sealedPrivateKey: Uint8Array;
  readonly createdAt: number;
}

export interface KeyStore {
  /** Add a key; false when a key with this id exists already. */
  add(key: TokenKeyRecord): Promise<boolean>;
  /** Every key still in the table (the table is small: a few keys per threshold). */
  list(): Promise<TokenKeyRecord[]>;
  /** Remove a key whose validity has ended. */
  remove(id: string): Promise<void>;
}

export type { KeyEventKind, KeyLogEntry } from "@blindgate/sdk/protocol";

export type KeyLogEntryInput = Omit<KeyLogEntry, "seq" | "prevHash" | "hash">;

export interface KeyLogStore {
  /** Append an entry at the next sequence number, chained to the last; retried on a concurrent append. */
  append(entry: KeyLogEntryInput): Promise<KeyLogEntry>;
  /** Entries with seq >= fromSeq, in order, at most `limit`. */
  list(fromSeq: number, limit: number): Promise<KeyLogEntry[]>;
}

export type PartyStatus = "active" | "suspended";

/** A verification provider: who may sign grants, and how many tokens a month its grants may issue. */
export interface ProviderRecord {
  readonly id: string;
  readonly name: string;
  /** The provider's page a wallet sends a person to. */
  readonly verifyUrl: string;
  /** Public JWKS (ES256 keys with kid) the provider's grants are verified with. */
  readonly jwks: { keys: Record<string, unknown>[] };
  readonly status: PartyStatus;
  /** Tokens per calendar month (UTC). */
  readonly monthlyQuota: number;
  /** The highest age threshold this provider may attest: grants with a higher `age_over` are refused. */
  readonly maxThreshold: number;
  readonly createdAt: number;
}

export interface ProviderStore {
  /** Add a provider; false (and nothing changed) when the id exists already. */
  add(provider: ProviderRecord): Promise<boolean>;
  get(id: string): Promise<ProviderRecord | undefined>;
  list(): Promise<ProviderRecord[]>;
  setStatus(id: string, status: PartyStatus): Promise<boolean>;
  /**
   * Count `tokens` against the provider's quota for `period` ("YYYY-MM"), atomically, if the provider is active:
   * "over-quota" or "inactive" (and nothing counted) otherwise.
   */
  consumeQuota(id: string, period: string, tokens: number, quota: number): Promise<QuotaOutcome>;
  /** Give back tokens counted for a request that was refused after all (a replayed grant). */
  refundQuota(id: string, period: string, tokens: number): Promise<void>;
  /** Tokens counted in `period`. */
  usage(id: string, period: string): Promise<number>;
}

/** What {@link ProviderStore.consumeQuota} decided. */
export type QuotaOutcome = "ok" | "over-quota" | "inactive";

/** Changes an operator makes to a provider (`npm run admin -- provider set-quota | set-max-threshold`). */
export interface ProviderSettingsStore {
  /** Set the given fields of an existing provider; false when there is no such provider. */
  update(id: string, changes: { monthlyQuota?: number; maxThreshold?: number }): Promise<boolean>;
}

/** A site that may call the check function; only a hash of its API key is kept. */
export interface SiteRecord {
  /** hex SHA-256 of the API key. */
  readonly apiKeyHash: string;
  readonly id: string;
  readonly name: string;
  readonly status: PartyStatus;
  readonly createdAt: number;
}

export interface SiteStore {
  /** Add a site; false (and nothing changed) when its id or its API key hash exists already. */
  add(site: SiteRecord): Promise<boolean>;
  getByKeyHash(apiKeyHash: string): Promise<SiteRecord | undefined>;
  list(): Promise<SiteRecord[]>;
  setStatus(id: string, status: PartyStatus): Promise<boolean>;
}

/**
 * A set of single-use ids with an expiry: used grant ids (jti) and spent tokens. One conditional write decides,
 * globally: `attribute_not_exists(pk) OR ttl < :now` (TTL deletion lags, so an expired item counts as absent).
 */
export interface OnceStore {
  /** true the first time `id` is used before `expiresAt`; false when it was used already and has not expired. */
  useOnce(id: string, expiresAt: number, now: number): Promise<boolean>;
  /** Forget an id (a lease given back); nothing when it is absent. */
  release(id: string): Promise<void>;
  /**
   * useOnce that keeps a record with the id (the same conditional write): the first claim stores it; a later one
   * gets `fresh: false` and the stored record, so a retried request can be answered again, and nothing else.
   */
  claim(id: string, expiresAt: number, now: number, record: Uint8Array): Promise<Claim>;
}

/** What {@link OnceStore.claim} decided. */
export type Claim = { fresh: true } | { fresh: false; record: Uint8Array | undefined };

/** The gateway's report key (ECDSA P-256): signs the daily transparency reports. */
export interface ReportKeyRecord {
  /** hex SHA-256 of the SPKI (the key log's keyId). */
  readonly id: string;
  /** SPKI DER. */
  readonly spki: Uint8Array;
  /** PKCS#8, sealed by the key vault with the id as context. Secret. */
  readonly sealedPrivateKey: Uint8Array;
  /** Signs reports of days from `firstDay` (YYYY-MM-DD, the day it was created) until `issueUntil`. */
  readonly firstDay: string;
  readonly notBefore: number;
  readonly issueUntil: number;
  readonly validUntil: number;
  readonly createdAt: number;
  /** True once its "created" and "published" events are in the key log. */
  readonly announced?: boolean;
}

/** A sealed daily report: the answer of GET /v1/report, as sent, and its hash. */
export interface SealedReport {
  readonly day: string;
  readonly hash: string;
  /** JSON of the ReportAnswer. */
  readonly answer: string;
}

/**
 * Transparency report storage: per-day counters (added to with DynamoDB `ADD`, on one of a few shards so no item
 * gets every write), sealed reports (written once), and the report key.
 */
export interface ReportStore {
  /** Add each count (may be negative: a correction) to the day's counters, in one write. */
  count(day: string, counts: Readonly<Record<string, number>>): Promise<void>;
  /** The day's counters, summed over its shards. */
  counters(day: string): Promise<Record<string, number>>;
  getReport(day: string): Promise<SealedReport | undefined>;
  /** Write a day's report once; false when that day's report exists already. */
  putReport(report: SealedReport): Promise<boolean>;
  getKey(): Promise<ReportKeyRecord | undefined>;
  /** Add the report key; false when one exists already. */
  addKey(key: ReportKeyRecord): Promise<boolean>;
  /** Take the right to announce the key in the key log until `until`; false while another holds it. */
  claimAnnouncement(now: number, until: number): Promise<boolean>;
  /** Note that the key's events are in the key log. */
  markAnnounced(): Promise<void>;
}

/** Every store of the gateway. */
export interface Stores {
  readonly keys: KeyStore;
  readonly keyLog: KeyLogStore;
  readonly providers: ProviderStore;
  readonly sites: SiteStore;
  /** Used grants, by jti (prefixed with the provider id). */
  readonly grants: OnceStore;
  /** Spent tokens, by hex SHA-256(token_key_id || nonce). */
  readonly spent: OnceStore;
  /** Transparency report counters, sealed reports and the report key. */
  readonly reports: ReportStore;
}
