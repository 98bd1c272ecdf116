import type { FunctionId } from "./bundling.js";
import type { TableId } from "./tables.js";

/*
 * Least privilege, written out: for each function, the DynamoDB actions it calls on each table and the KMS
 * actions it calls on the token-key wrapping key. Derived from the code paths (functions/stores/dynamo.ts):
 *
 *   keys      list = Scan (ConsistentRead)           add = PutItem        remove = DeleteItem   retire = UpdateItem
 *   key log   list / last = Query                    append = PutItem
 *   providers get = GetItem   list = Scan            consumeQuota = UpdateItem
 *   sites     getByKeyHash = GetItem (cached per container; per-site metering is an EMF log line, not a write)
 *   grants    claim = PutItem (conditional; returns the old item, ALL_OLD)   held = GetItem   release = DeleteItem
 *   spent     claim = PutItem (conditional; returns the old item, ALL_OLD)
 *   reports   count = UpdateItem (ADD)   counters / getReport / getKey = GetItem   putReport / addKey = PutItem
 *   KMS       open a sealed private key = Decrypt    seal a new one = GenerateDataKey
 *
 * The stack turns every entry into one IAM statement on that table's ARN; the infra tests hold the same matrix
 * written out independently and compare the synthesized policies to it.
 */

export type DynamoAction =
  | "dynamodb:GetItem"
  | "dynamodb:Query"
  | "dynamodb:Scan"
  | "dynamodb:PutItem"
  | "dynamodb:UpdateItem"
  | "dynamodb:DeleteItem";
export type KmsAction = "kms:Decrypt" | "kms:GenerateDataKey";

export interface FunctionAccess {
  readonly tables: Partial<Record<TableId, readonly DynamoAction[]>>;
  readonly kms: readonly KmsAction[];
}

const KEYS_READ: readonly DynamoAction[] = ["dynamodb:Scan"];
/** The transparency report's counters: `ADD` on a day's shard item (functions/services/report-counts.ts). */
const REPORT_COUNT: readonly DynamoAction[] = ["dynamodb:UpdateItem"];

export const ACCESS: Record<FunctionId, FunctionAccess> = {
  // the directory also publishes yesterday's coarse issuance rate, from the report's counters (read hourly)
  directory: { tables: { keys: KEYS_READ, reports: ["dynamodb:GetItem"] }, kms: [] },
  issue: {
    tables: {
      keys: KEYS_READ,
      providers: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
      // the jti's conditional put (the old item comes back with a refusal; read back only from a server that does
      // not send it), given back when the quota refuses
      grants: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"],
      reports: REPORT_COUNT,
    },
    kms: ["kms:Decrypt"],
  },
  check: {
    tables: {
      keys: KEYS_READ,
      sites: ["dynamodb:GetItem"],
      spent: ["dynamodb:PutItem"],
      reports: REPORT_COUNT,
    },
    kms: [],
  },
  keyLog: { tables: { keyLog: ["dynamodb:Query"] }, kms: [] },
  // A grant buys a credential: the issue route's access, plus the credit key's secret (same vault).
  credential: {
    tables: {
      keys: KEYS_READ,
      providers: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
      // the jti's conditional put (the old item comes back with a refusal; read back only from a server that does
      // not send it), given back when the quota refuses
      grants: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"],
      reports: REPORT_COUNT,
    },
    kms: ["kms:Decrypt"],
  },
  // A refill: the nullifier's conditional write (and the read of a retried request's answer) in the grants table.
  refill: {
    tables: {
      keys: KEYS_READ,
      grants: ["dynamodb:PutItem", "dynamodb:GetItem"],
      reports: REPORT_COUNT,
    },
    kms: ["kms:Decrypt"],
  },
  providers: { tables: { providers: ["dynamodb:Scan"] }, kms: [] },
  // GET /v1/report: reads sealed reports; seals a closed day on first request (counters, providers' quotas, the
  // key log), with the report key it creates and announces the first time (sealed like token keys).
  report: {
    tables: {
      reports: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
      providers: ["dynamodb:Scan"],
      keyLog: ["dynamodb:Query", "dynamodb:PutItem"],
      // the key lifecycle's lease, held while the report key is announced (functions/stores/lease.ts)
      grants: ["dynamodb:PutItem", "dynamodb:DeleteItem"],
    },
    kms: ["kms:Decrypt", "kms:GenerateDataKey"],
  },
  rotateKeys: {
    tables: {
      // UpdateItem: a key that overlaps one another rotation made stops issuing (functions/issuer/rotation-heal.ts)
      keys: [...KEYS_READ, "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"],
      keyLog: ["dynamodb:Query", "dynamodb:PutItem"],
      // the rotation lease (functions/issuer/rotation.ts): taken by a conditional put, given back by a delete
      grants: ["dynamodb:PutItem", "dynamodb:DeleteItem"],
    },
    kms: ["kms:GenerateDataKey"],
  },
};

/**
 * The encryption context every KMS call of the key vault carries (functions/issuer/key-vault.ts:
 * `{ purpose: "blindgate-token-key", context: <key id> }`). The functions' KMS grants hold only with it, so the
 * roles cannot decrypt or mint data keys for anything but token keys.
 */
export const KMS_CONDITION = {
  StringEquals: { "kms:EncryptionContext:purpose": "blindgate-token-key" },
} as const;
