import type { KeyLogEntry } from "@blindgate/sdk/protocol";

/*
 * What the gateway keeps, as interfaces. One implementation: DynamoDB (dynamo/), used on AWS and locally
 * (dynalite or DynamoDB Local speak the same HTTP API), so there is a single code path to test.
 *
 * Times are epoch seconds throughout (the unit of DynamoDB's TTL attribute).
 */

/** A token key (type 0x0002) for one age threshold, with its windows. */
export interface TokenKeyRecord {
  /** token_key_id, hex (SHA-256 of the SPKI). */
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
}
