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
  /**
   * Band keys only: the key's interval is [threshold, ageBelow): a token of it also proves "age < ageBelow". Band
   * keys live short epochs (BLINDGATE_BAND_KEY_EPOCH_HOURS) so that none outlives its holders' birthdays by much.
   */
  readonly ageBelow?: number;
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
  /**
   * Set when a rotation healed an overlap (two rotations on clocks further apart than their lease each made a key
   * for one threshold and kind): the key stops issuing at this instant, its tokens stay valid until validUntil.
   * Its windows never change, so every key-log entry of it agrees.
   */
  readonly retiredAt?: number;
}

export interface KeyStore {
  /** Add a key; false when a key with this id exists already. */
  add(key: TokenKeyRecord): Promise<boolean>;
  /** Every key still in the table (the table is small: a few keys per threshold). */
  list(): Promise<TokenKeyRecord[]>;
  /** Remove a key whose validity has ended. */
  remove(id: string): Promise<void>;
  /** Stop a key issuing from `at` on (see {@link TokenKeyRecord.retiredAt}); false when absent or retired already. */
  retire(id: string, at: number): Promise<boolean>;
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
  /** The name in other languages, by language tag ("fr"): the wallet shows the person's, `name` otherwise. */
  readonly names?: Readonly<Record<string, string>>;
  /** The provider's page a wallet sends a person to. */
  readonly verifyUrl: string;
  /** Public JWKS (ES256 keys with kid) the provider's grants are verified with. */
  readonly jwks: { keys: Record<string, unknown>[] };
  readonly status: PartyStatus;
  /** Tokens per calendar month (UTC). */
  readonly monthlyQuota: number;
  /** The highest age threshold this provider may attest: a grant with a higher `age_over` is issued at it. */
  readonly maxThreshold: number;
  /**
   * The bands this provider may attest (interval ids, "13-16"): a grant stating `age_below` must prove an interval
   * inside one of them. None: the provider may vouch for no upper age (an operator decides who vouches for minors).
   */
  readonly bands?: readonly string[];
  /** Band grants (grants stating `age_below`) per calendar month (UTC); absent: the token quota alone bounds them. */
  readonly monthlyBandQuota?: number;
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
   * "over-quota" or "inactive" (and nothing counted) otherwise. A band grant also counts one against the month's
   * band grants in the same write (`band.quota`, "over-band-quota" when used up).
   */
  consumeQuota(
    id: string,
    period: string,
    tokens: number,
    quota: number,
    band?: { readonly quota: number },
  ): Promise<QuotaOutcome>;
  /** Give back tokens (and the band grant) counted for a request that was refused after all (a replayed grant). */
  refundQuota(id: string, period: string, tokens: number, band?: boolean): Promise<void>;
  /** Band grants counted in `period`. */
  bandUsage(id: string, period: string): Promise<number>;
  /** Tokens counted in `period`. */
  usage(id: string, period: string): Promise<number>;
}

/** What {@link ProviderStore.consumeQuota} decided. */
export type QuotaOutcome = "ok" | "over-quota" | "over-band-quota" | "inactive";

/** What an operator may change of a provider. */
export interface ProviderSettings {
  monthlyQuota?: number;
  maxThreshold?: number;
  /** Band ids ("13-16"); [] takes every band right away. */
  bands?: readonly string[];
  monthlyBandQuota?: number;
}

/** Changes an operator makes to a provider (`npm run admin -- provider set-quota | set-max-threshold`). */
export interface ProviderSettingsStore {
  /** Set the given fields of an existing provider; false when there is no such provider. */
  update(id: string, changes: ProviderSettings): Promise<boolean>;
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
 * How far a claim has got: "used" (the id is taken; with a request hash when a retry of that request is served
 * again by redoing deterministic work), "answered" (the answer is kept with it, sent again to the same request),
 * "leased" (a lease, given back by its holder or lapsing at its expiry).
 */
export type ClaimStatus = "used" | "answered" | "leased";

/** What a claim keeps with its id: the one record of single use, retries and leases. */
export interface ClaimRecord {
  readonly status: ClaimStatus;
  /** Epoch seconds; an expired claim counts as absent (TTL deletion lags). */
  readonly expiresAt: number;
  /** SHA-256 of the request the claim paid for: the same request again is a retry, any other a replay. */
  readonly requestHash?: Uint8Array;
  /** The answer given, when it cannot be made again byte for byte (fresh randomness). */
  readonly answer?: Uint8Array;
}

/** What {@link ClaimStore.claim} decided: the claim is ours, or the record that holds the id. */
export type ClaimOutcome =
  | { readonly claimed: true }
  | { readonly claimed: false; readonly held: ClaimRecord };

/**
 * Ids claimed once, globally, until they expire: spent tokens, used grants (jti), spent credit nullifiers, leases.
 * One conditional write decides (`attribute_not_exists(pk) OR ttl < :now`) and, on conflict, returns what holds
 * the id, so a retried request is answered from the record without a second read.
 */
export interface ClaimStore {
  claim(id: string, record: ClaimRecord, now: number): Promise<ClaimOutcome>;
  /** The record holding `id` now (a consistent read), undefined when none or expired: a look before costly work. */
  held(id: string, now: number): Promise<ClaimRecord | undefined>;
  /** Forget a claim (a lease given back, a payment refused after all); nothing when it is absent. */
  release(id: string): Promise<void>;
}

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
  /** Note that the key's events are in the key log. */
  markAnnounced(): Promise<void>;
}

/** Every store of the gateway. */
export interface Stores {
  readonly keys: KeyStore;
  readonly keyLog: KeyLogStore;
  readonly providers: ProviderStore;
  readonly sites: SiteStore;
  /**
   * The issuer's claims (grants table): used grants by `provider:jti`, spent credit nullifiers, and leases
   * (`lease/...`) — the issuer's side of single use, kept apart from the sites' spent tokens.
   */
  readonly claims: ClaimStore;
  /** Spent tokens, by hex SHA-256(token_key_id || nonce): status "used", nothing else. */
  readonly spent: ClaimStore;
  /** Transparency report counters, sealed reports and the report key. */
  readonly reports: ReportStore;
}
