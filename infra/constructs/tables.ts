import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";

/*
 * The six tables of docs/architecture.md. Every table: on-demand, point-in-time recovery, encrypted with the
 * AWS-managed DynamoDB key (a customer key would put kms:Decrypt on every read path of every function for no gain
 * in who can read the data), partition key `pk`. Tables whose items expire carry the TTL attribute `ttl`; the
 * key log is append-only (no TTL) and providers/sites hold no expiring items.
 */

export const TABLE_IDS = ["keys", "keyLog", "providers", "sites", "grants", "spent"] as const;
export type TableId = (typeof TABLE_IDS)[number];

/** The environment variable that carries each table's name to the functions (functions/config.ts). */
export const TABLE_ENV: Record<TableId, string> = {
  keys: "BLINDGATE_TABLE_KEYS",
  keyLog: "BLINDGATE_TABLE_KEY_LOG",
  providers: "BLINDGATE_TABLE_PROVIDERS",
  sites: "BLINDGATE_TABLE_SITES",
  grants: "BLINDGATE_TABLE_GRANTS",
  spent: "BLINDGATE_TABLE_SPENT",
};

const WITH_TTL: ReadonlySet<TableId> = new Set(["keys", "grants", "spent"]);

export interface GatewayTablesProps {
  /** Retain on stack deletion and turn deletion protection on (prod stages). */
  readonly protectData: boolean;
  /** The tables this deployment owns (a split deployment owns only its half). */
  readonly ids: readonly TableId[];
  /** Roles of another account's check function that may read the public keys (resource policy: Scan). */
  readonly keyReaders: readonly string[];
}

export class GatewayTables extends Construct {
  readonly tables: Partial<Record<TableId, dynamodb.Table>> = {};

  constructor(scope: Construct, id: string, props: GatewayTablesProps) {
    super(scope, id);
    for (const tableId of props.ids) {
      const readers = tableId === "keys" && props.keyReaders.length > 0 ? props.keyReaders : undefined;
      this.tables[tableId] = new dynamodb.Table(this, tableId, {
        partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
        ...(tableId === "keyLog" ? { sortKey: { name: "seq", type: dynamodb.AttributeType.NUMBER } } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        ...(WITH_TTL.has(tableId) ? { timeToLiveAttribute: "ttl" } : {}),
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

  /** A table this deployment owns; throws for one it does not. */
  get(tableId: TableId): dynamodb.Table {
    const table = this.tables[tableId];
    if (table === undefined) throw new Error(`this deployment has no ${tableId} table`);
    return table;
  }
}
