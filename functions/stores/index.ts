export type { ClaimDecision } from "./claim-once.js";
export { claimOnce, decideHeld, requestHash } from "./claim-once.js";
export { createTables, dynamoStores } from "./dynamo/index.js";
export type { StoreErrorCode } from "./errors.js";
export { StoreError } from "./errors.js";
export { leaseId, withLease } from "./lease.js";
export type { TableId, TableNames } from "./schema.js";
export { localTableNames, PARTITION_KEY, TABLE_IDS, TABLES, TTL_ATTRIBUTE } from "./schema.js";
export type {
  ClaimOutcome,
  ClaimRecord,
  ClaimStatus,
  ClaimStore,
  KeyEventKind,
  KeyLogEntry,
  KeyLogEntryInput,
  KeyLogStore,
  KeyStore,
  PartyStatus,
  ProviderRecord,
  ProviderSettingsStore,
  ProviderStore,
  QuotaOutcome,
  ReportKeyRecord,
  ReportStore,
  SealedReport,
  SiteRecord,
  SiteStore,
  Stores,
  TokenKeyRecord,
} from "./types.js";
