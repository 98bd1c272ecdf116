import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@blindgate/aws-json/dynamodb";
import { StoreError } from "../errors.js";
import type { ClaimOutcome, ClaimRecord, ClaimStatus, ClaimStore } from "../types.js";
import { B, type Item, isConditionFailure, N, num, S, send, str } from "./item.js";

/*
 * Claims on DynamoDB, one item per id (the Powertools idempotency record, with named attributes):
 *
 *   pk           the id
 *   ttl          expiry, epoch seconds (DynamoDB's TTL attribute; also checked by the condition: deletion lags)
 *   status       "used" | "answered" | "leased"
 *   requestHash  B, optional: SHA-256 of the request the claim paid for
 *   answer       B, optional: the answer given, sent again to the same request
 *
 * One conditional PutItem decides: `attribute_not_exists(pk) OR ttl < :now`. On conflict the same call returns the
 * item that stood in the way (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), so a retry is answered without a
 * second round trip. A server that does not send it back (dynalite, the local mode's embedded store, predates the
 * option) costs one consistent read instead; DynamoDB and DynamoDB Local send it.
 */

const STATUSES: readonly ClaimStatus[] = ["used", "answered", "leased"];

export class DynamoClaimStore implements ClaimStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async claim(id: string, record: ClaimRecord, now: number): Promise<ClaimOutcome> {
    const item: Item = { pk: S(id), ttl: N(record.expiresAt), status: S(record.status) };
    if (record.requestHash !== undefined) item.requestHash = B(record.requestHash);
    if (record.answer !== undefined) item.answer = B(record.answer);
    try {
      await send(
        this.client,
        new PutItemCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: "attribute_not_exists(pk) OR #ttl < :now",
          ExpressionAttributeNames: { "#ttl": "ttl" },
          ExpressionAttributeValues: { ":now": N(now) },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const old = error instanceof ConditionalCheckFailedException ? error.Item : undefined;
      if (old !== undefined) return { claimed: false, held: recordOf(old) };
    }
    // Gone between the two calls (released): it was held when the write was refused.
    return {
      claimed: false,
      held: (await this.held(id, Number.NEGATIVE_INFINITY)) ?? { status: "used", expiresAt: now },
    };
  }

  async held(id: string, now: number): Promise<ClaimRecord | undefined> {
    const out = await send<{ Item?: Item }>(
      this.client,
      new GetItemCommand({ TableName: this.table, Key: { pk: S(id) }, ConsistentRead: true }),
    );
    if (out.Item === undefined) return undefined;
    const record = recordOf(out.Item);
    return record.expiresAt < now ? undefined : record;
  }

  async release(id: string): Promise<void> {
    await send(this.client, new DeleteItemCommand({ TableName: this.table, Key: { pk: S(id) } }));
  }
}

function recordOf(item: Item): ClaimRecord {
  // Items written before claims had a status were plain "used" ids.
  const status = item.status === undefined ? "used" : str(item, "status");
  if (!(STATUSES as readonly string[]).includes(status)) {
    throw new StoreError("ERR_STORE_ITEM", "store: claim with an unknown status");
  }
  return {
    status: status as ClaimStatus,
    expiresAt: num(item, "ttl"),
    ...(item.requestHash?.B === undefined ? {} : { requestHash: item.requestHash.B }),
    ...(item.answer?.B === undefined ? {} : { answer: item.answer.B }),
  };
}
