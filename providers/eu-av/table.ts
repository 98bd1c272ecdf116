import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from "@blindgate/aws-json/dynamodb";

/*
 * The sessions table, described once: read by DynamoSessionStore (sessions.ts), by createSessionsTable (tests and
 * any local DynamoDB) and by the CDK construct (infra/constructs/eu-av-provider.ts), so the table the tests run on
 * is keyed and expired as the deployed one.
 *
 *   pk   string partition key: the session id (the OpenID4VP `state`)
 *   ttl  epoch seconds, DynamoDB TTL: the session's expiresAt + TTL_GRACE_SECONDS
 *
 * Why TTL is not on expiresAt itself: expiresAt bounds when the request may be *answered* (the store's claim
 * checks it); a session answered in its last second must still be *collected* by the page's next poll. TTL
 * deletion only tidies up (it lags, up to 48 h) and must never race the collect, so it runs 10 minutes after.
 */

export const SESSIONS_TABLE = {
  /** The environment variable carrying the table's name to the function. */
  env: "EU_AV_SESSIONS_TABLE",
  partitionKey: "pk",
  ttlAttribute: "ttl",
  /** Seconds between a session's expiresAt and its TTL. */
  ttlGraceSeconds: 600,
  /**
   * The only DynamoDB actions DynamoSessionStore sends (create: PutItem, get: GetItem with ConsistentRead, claim,
   * settle and collect: UpdateItem); the deployment grants exactly these.
   */
  actions: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
} as const;

/**
 * Create the sessions table (on-demand, key `pk`, TTL on `ttl`) if it does not exist; on AWS the CDK construct
 * owns it. dynalite has no TTL API: there the TTL step is skipped (code checks expiry itself).
 *
 * @example
 * ```ts
 * await createSessionsTable(client, "eu-av-sessions");
 * ```
 */
export async function createSessionsTable(client: DynamoDBClient, name: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: SESSIONS_TABLE.partitionKey, AttributeType: "S" }],
        KeySchema: [{ AttributeName: SESSIONS_TABLE.partitionKey, KeyType: "HASH" }],
      }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === "ResourceInUseException")) throw error;
  }
  for (let i = 0; ; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: name }));
    if (out.Table?.TableStatus === "ACTIVE") break;
    if (i >= 200) throw new Error(`eu-av: table ${name} did not become active`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: SESSIONS_TABLE.ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    // dynalite answers UnknownOperationException; a table whose TTL is on already answers ValidationException.
    if (!(error instanceof Error && /UnknownOperation|Validation/.test(error.name))) throw error;
  }
}
