import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from "@blindgate/aws-json/dynamodb";
import { PARTITION_KEY, TABLES, type TableId, type TableNames, TTL_ATTRIBUTE } from "../schema.js";

/**
 * Create the tables of stores/schema.ts (locally and in tests; on AWS the CDK stack owns them), with TTL where the
 * schema says. Tables that exist already are left as they are.
 *
 * @example
 * ```ts
 * await createTables(client, localTableNames("test"));
 * ```
 */
export async function createTables(client: DynamoDBClient, tables: TableNames): Promise<void> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const [id, name] of Object.entries(tables) as [TableId, string][]) {
    if (existing.has(name)) continue;
    const { sortKey, ttl } = TABLES[id];
    await createOnce(
      client,
      new CreateTableCommand({
        TableName: name,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: PARTITION_KEY, AttributeType: "S" },
          ...(sortKey ? [{ AttributeName: sortKey.name, AttributeType: sortKey.type }] : []),
        ],
        KeySchema: [
          { AttributeName: PARTITION_KEY, KeyType: "HASH" },
          ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: "RANGE" as const }] : []),
        ],
      }),
    );
    await waitActive(client, name);
    if (ttl) {
      try {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: name,
            TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
          }),
        );
      } catch {
        // dynalite has no TTL API; code checks expiry itself, TTL only tidies up.
      }
    }
  }
}

/**
 * A CreateTable whose first attempt timed out may have made the table (a cold DynamoDB Local can take longer than
 * the client's per-attempt bound): the retry is then refused with ResourceInUseException, which means done.
 */
async function createOnce(client: DynamoDBClient, command: CreateTableCommand): Promise<void> {
  try {
    await client.send(command);
  } catch (error) {
    if (!(error instanceof Error && error.name === "ResourceInUseException")) throw error;
  }
}

async function waitActive(client: DynamoDBClient, table: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: table }));
    if (out.Table?.TableStatus === "ACTIVE") return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`store: table ${table} did not become active`);
}
