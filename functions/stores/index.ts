export { createTables, dynamoStores } from "./dynamo/index.js";
export type { StoreErrorCode } from "./errors.js";
export { StoreError } from "./errors.js";
export type { TableId, TableNames } from "./schema.js";
export { localTableNames, PARTITION_KEY, TABLE_IDS, TABLES, TTL_ATTRIBUTE } from "./schema.js";
export type {
  Claim,
  KeyEventKind,
  KeyLogEntry,
  KeyLogEntryInput,
  KeyLogStore,
  KeyStore,
  OnceStore,
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
