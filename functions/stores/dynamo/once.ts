import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@blindgate/aws-json/dynamodb";
import type { Claim, OnceStore } from "../types.js";
import { B, type Item, isConditionFailure, N, S, send } from "./item.js";

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

  async claim(id: string, expiresAt: number, now: number, record: Uint8Array): Promise<Claim> {
    try {
      await send(
        this.client,
        new PutItemCommand({
          TableName: this.table,
          Item: { pk: S(id), ttl: N(expiresAt), record: B(record) },
          ConditionExpression: "attribute_not_exists(pk) OR #ttl < :now",
          ExpressionAttributeNames: { "#ttl": "ttl" },
          ExpressionAttributeValues: { ":now": N(now) },
        }),
      );
      return { fresh: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const out = await send<{ Item?: Item }>(
      this.client,
      new GetItemCommand({ TableName: this.table, Key: { pk: S(id) }, ConsistentRead: true }),
    );
    return { fresh: false, record: out.Item?.record?.B };
  }
}
