/*
 * The gateway's tables, described once: read by the stores (names from the environment), by createTables (local
 * mode and tests) and by the CDK tables construct (infra/constructs/tables.ts). Every table has the string
 * partition key `pk`; the key log also has the number sort key `seq`; items that expire carry the TTL attribute
 * `ttl` (epoch seconds), and code checks expiry itself too (TTL deletion lags up to 48 hours).
 */

export const TABLE_IDS = ["keys", "keyLog", "providers", "sites", "grants", "spent", "reports"] as const;
export type TableId = (typeof TABLE_IDS)[number];

/** Names of the tables, by id. */
export type TableNames = Record<TableId, string>;

/** Partition key of every table. */
export const PARTITION_KEY = "pk";
/** TTL attribute of the tables whose items expire. */
export const TTL_ATTRIBUTE = "ttl";

/** What each table holds and how it is keyed. */
export const TABLES: Readonly<
  Record<TableId, { env: string; sortKey?: { name: string; type: "N" }; ttl: boolean; holds: string }>
> = {
  keys: {
    env: "BLINDGATE_TABLE_KEYS",
    ttl: true,
    holds: "token keys: public SPKI, windows, private key sealed under a KMS-wrapped data key",
  },
  keyLog: {
    env: "BLINDGATE_TABLE_KEY_LOG",
    sortKey: { name: "seq", type: "N" },
    ttl: false,
    holds: 'the append-only, hash-chained key log (pk = "log", seq), and the rotation lease',
  },
  providers: {
    env: "BLINDGATE_TABLE_PROVIDERS",
    ttl: false,
    holds: "verification providers: JWKS, status, quota, highest threshold, monthly usage counters",
  },
  sites: { env: "BLINDGATE_TABLE_SITES", ttl: false, holds: "sites by SHA-256 of their API key: id, status" },
  grants: {
    env: "BLINDGATE_TABLE_GRANTS",
    ttl: true,
    holds:
      "the issuer's claims: used grant ids (provider:jti) with the request they paid for (and a credential's answer), spent credit nullifiers with the refill's answer, leases (lease/...)",
  },
  spent: {
    env: "BLINDGATE_TABLE_SPENT",
    ttl: true,
    holds:
      "spent tokens by SHA-256(token_key_id || nonce), until their key expires — no site, no token bytes",
  },
  reports: {
    env: "BLINDGATE_TABLE_REPORTS",
    ttl: false,
    holds:
      "transparency report: per-day counters (sharded; per key, provider and refusal code — no site, no person), sealed daily reports, the report key (private key sealed)",
  },
};

/**
 * Default table names of a local gateway (AWS names come from the stack through the environment).
 *
 * @example
 * ```ts
 * localTableNames("test-1").spent; // "test-1-spent"
 * ```
 */
export function localTableNames(prefix = "blindgate"): TableNames {
  const kebab = (id: string) => id.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return Object.fromEntries(TABLE_IDS.map((id) => [id, `${prefix}-${kebab(id)}`])) as TableNames;
}
