import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { SpendOnce } from "./spend.js";

/*
 * AWS SDK v3's DynamoDB client with the role's credentials from the environment only (no credential chain is
 * called), and the gateway's bounds: 2 attempts, 2 s per attempt, 1 s to connect. The SDK's client still imports
 * its default credential chain (SSO, INI, STS...) from its runtime configuration, so the bundle carries it.
 */

export async function createSpend(endpoint: string, table: string): Promise<SpendOnce> {
  const client = new DynamoDBClient({
    endpoint,
    credentials: async () => {
      const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = process.env;
      if (!accessKeyId || !secretAccessKey) throw new Error("no AWS credentials in the environment");
      const sessionToken = process.env.AWS_SESSION_TOKEN;
      return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    },
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
  });
  return async (id, now) => {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: id }, ttl: { N: String(now + 3600) } },
        ConditionExpression: "attribute_not_exists(pk) OR #ttl < :now",
        ExpressionAttributeNames: { "#ttl": "ttl" },
        ExpressionAttributeValues: { ":now": { N: String(now) } },
      }),
    );
  };
}
