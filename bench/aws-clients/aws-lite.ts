import awsLite from "@aws-lite/client";
import dynamodb from "@aws-lite/dynamodb";
import type { SpendOnce } from "./spend.js";

/*
 * @aws-lite/client with its DynamoDB plugin: the small maintained client made for Lambda cold starts (SigV4 by
 * aws4, node:http(s) with keep-alive). Credentials and region from the environment; `retries: 1` is 2 attempts,
 * the gateway's bound. It has no connection or request timeout to set: a store that accepts and never answers
 * holds the call until the Lambda timeout. The plugin marshals plain values into DynamoDB's JSON itself.
 */

export async function createSpend(endpoint: string, table: string): Promise<SpendOnce> {
  const aws = await awsLite({ endpoint, plugins: [dynamodb], retries: 1, autoloadPlugins: false });
  // The plugin adds `DynamoDB` to the client; its types are a package of their own.
  const db = (aws as unknown as { DynamoDB: { PutItem(input: object): Promise<unknown> } }).DynamoDB;
  return async (id, now) => {
    await db.PutItem({
      TableName: table,
      Item: { pk: id, ttl: now + 3600 },
      ConditionExpression: "attribute_not_exists(pk) OR #ttl < :now",
      ExpressionAttributeNames: { "#ttl": "ttl" },
      ExpressionAttributeValues: { ":now": now },
    });
  };
}
