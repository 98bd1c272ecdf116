import { DeleteItemCommand, type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { OnceStore } from "../types.js";
import { isConditionFailure, N, S, send } from "./item.js";

/** Single use by one conditional write; the item holds the id and its expiry, nothing else. */
export class DynamoOnceStore implements OnceStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async useOnce(id: string, expiresAt: number, now: number): Promise<boolean> {
    try {
      await send(
        this.client,
        new PutItemCommand({
          TableName: this.table,
          Item: { pk: S(id), ttl: N(expiresAt) },
          ConditionExpression: "attribute_not_exists(pk) OR #ttl < :now",
          ExpressionAttributeNames: { "#ttl": "ttl" },
          ExpressionAttributeValues: { ":now": N(now) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async release(id: string): Promise<void> {
    await send(this.client, new DeleteItemCommand({ TableName: this.table, Key: { pk: S(id) } }));
  }
}
