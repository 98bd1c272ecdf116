import { DynamoDBClient, PutItemCommand } from "@blindgate/aws-json/dynamodb";
import type { SpendOnce } from "./spend.js";

/*
 * The gateway's own client (@blindgate/aws-json), as the functions build it: region and role credentials from
 * the environment, CALL_LIMITS for attempts and timeouts. The spend is stores/dynamo/once.ts's conditional put.
 */

export async function createSpend(endpoint: string, table: string): Promise<SpendOnce> {
  const client = new DynamoDBClient({ endpoint });
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
