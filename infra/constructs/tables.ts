import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import {
  PARTITION_KEY,
  TABLE_IDS,
  TABLES,
  type TableId,
  TTL_ATTRIBUTE,
} from "../../functions/stores/schema.js";

/*
 * The six tables of docs/architecture.md. Every table: on-demand, point-in-time recovery, encrypted with the
 * AWS-managed DynamoDB key (a customer key would put kms:Decrypt on every read path of every function for no gain
 * in who can read the data), partition key `pk`. Tables whose items expire carry the TTL attribute `ttl`; the
 * key log is append-only (no TTL) and providers/sites hold no expiring items.
 */

export type { TableId };
export { TABLE_IDS };

/** The environment variable that carries each table's name to the functions (functions/config.ts). */
export const TABLE_ENV = Object.fromEntries(TABLE_IDS.map((id) => [id, TABLES[id].env])) as Record<
  TableId,
  string
>;

/**
 * Tables whose single use must hold in every region at once: the spent set (token nullifiers; the credit
 * credentials' nullifiers share it, one store mechanism) and the grants (a provider grant replayed in a second
 * region would issue twice). In multi-region mode they are DynamoDB global tables with multi-region strong
 * consistency (MRSC): a conditional put is decided once for all regions, never by eventually consistent replicas.
 */
export const STRONG_TABLES: readonly TableId[] = ["spent", "grants"];

/** The opt-in multi-region mode: the stack's region plus two replica regions, or one replica and a witness. */
export interface MultiRegionTables {
  readonly replicaRegions: readonly string[];
  readonly witnessRegion?: string | undefined;
}

/** A table of this deployment: a regional table, or an MRSC global table. */
export type GatewayTable = dynamodb.Table | dynamodb.TableV2;

export interface GatewayTablesProps {
  /** Retain on stack deletion and turn deletion protection on (prod stages). */
  readonly protectData: boolean;
  /** The tables this deployment owns (a split deployment owns only its half). */
  readonly ids: readonly TableId[];
  /** Roles of another account's check function that may read the public keys (resource policy: Scan). */
  readonly keyReaders: readonly string[];
  /** Opt-in: STRONG_TABLES become MRSC global tables. */
  readonly multiRegion?: MultiRegionTables | undefined;
}

export class GatewayTables extends Construct {
  readonly tables: Partial<Record<TableId, GatewayTable>> = {};

  constructor(scope: Construct, id: string, props: GatewayTablesProps) {
    super(scope, id);
    for (const tableId of props.ids) {
      if (props.multiRegion !== undefined && STRONG_TABLES.includes(tableId)) {
        this.tables[tableId] = this.strongGlobalTable(tableId, props.multiRegion, props.protectData);
        continue;
      }
      const readers = tableId === "keys" && props.keyReaders.length > 0 ? props.keyReaders : undefined;
      this.tables[tableId] = new dynamodb.Table(this, tableId, {
        partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
        ...(TABLES[tableId].sortKey
          ? { sortKey: { name: TABLES[tableId].sortKey.name, type: dynamodb.AttributeType.NUMBER } }
          : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        ...(TABLES[tableId].ttl ? { timeToLiveAttribute: TTL_ATTRIBUTE } : {}),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        deletionProtection: props.protectData,
        removalPolicy: props.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        ...(readers !== undefined
          ? {
              // The items' private keys are sealed under this account's KMS key: readers get public keys only.
              resourcePolicy: new iam.PolicyDocument({
                statements: [
                  new iam.PolicyStatement({
                    sid: "CheckerReadsPublicKeys",
                    principals: readers.map((arn) => new iam.ArnPrincipal(arn)),
                    actions: ["dynamodb:Scan"],
                    resources: ["*"],
                  }),
                ],
              }),
            }
          : {}),
      });
    }
  }

  /**
   * A global table whose writes are strongly consistent across its three regions. Eventual consistency is never
   * built here (config.ts refuses it): with it, one token could be accepted once in each region.
   */
  private strongGlobalTable(tableId: TableId, mr: MultiRegionTables, protectData: boolean): dynamodb.TableV2 {
    return new dynamodb.TableV2(this, tableId, {
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      ...(TABLES[tableId].ttl ? { timeToLiveAttribute: TTL_ATTRIBUTE } : {}),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      deletionProtection: protectData,
      removalPolicy: protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG,
      replicas: mr.replicaRegions.map((region) => ({ region })),
      ...(mr.witnessRegion !== undefined ? { witnessRegion: mr.witnessRegion } : {}),
    });
  }

  /** A table this deployment owns; throws for one it does not. */
  get(tableId: TableId): GatewayTable {
    const table = this.tables[tableId];
    if (table === undefined) throw new Error(`this deployment has no ${tableId} table`);
    return table;
  }
}
