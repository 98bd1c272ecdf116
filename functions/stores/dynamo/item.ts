import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  ScanCommand,
} from "@blindgate/aws-json/dynamodb";
import { StoreError } from "../errors.js";

/*
 * What every DynamoDB store shares: attribute codecs that refuse items without the attribute a store writes, the
 * condition-failure test, and `send`, which turns any other failure (network, throttling, timeout) into
 * StoreError("ERR_STORE_UNAVAILABLE") so the edge answers 503 and nothing is half-done.
 *
 * Items are mapped by hand (S/N/B) rather than with @aws-sdk/util-dynamodb: the registry's util-dynamodb lags the
 * client by a major line (3.996 vs 3.1164) and the mapping is a dozen lines per store, each covered by the store
 * contract tests on both DynamoDB servers.
 */

export type Item = Record<string, AttributeValue>;

export const S = (s: string): AttributeValue => ({ S: s });
export const N = (n: number): AttributeValue => ({ N: String(n) });
export const B = (b: Uint8Array): AttributeValue => ({ B: b });

export function str(item: Item, name: string): string {
  const v = item[name];
  if (v?.S === undefined)
    throw new StoreError("ERR_STORE_ITEM", `store: item without string attribute ${name}`);
  return v.S;
}
export function num(item: Item, name: string): number {
  const v = item[name];
  if (v?.N === undefined)
    throw new StoreError("ERR_STORE_ITEM", `store: item without number attribute ${name}`);
  return Number(v.N);
}
export function bin(item: Item, name: string): Uint8Array {
  const v = item[name];
  if (v?.B === undefined)
    throw new StoreError("ERR_STORE_ITEM", `store: item without binary attribute ${name}`);
  return v.B;
}

export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === "ConditionalCheckFailedException")
  );
}

/**
 * client.send, with every failure but a condition failure as StoreError("ERR_STORE_UNAVAILABLE").
 *
 * @example
 * ```ts
 * const out = await send(client, new GetItemCommand({ TableName, Key }));
 * ```
 */
export async function send<O = unknown>(client: DynamoDBClient, command: object): Promise<O> {
  try {
    return (await client.send(command as never)) as O;
  } catch (error) {
    if (isConditionFailure(error) || error instanceof StoreError) throw error;
    throw new StoreError("ERR_STORE_UNAVAILABLE", "store: DynamoDB did not answer", { cause: error });
  }
}

/**
 * {@link send} for a conditional write: true when written, false when its condition refused it.
 *
 * @example
 * ```ts
 * const retired = await sendIf(client, new UpdateItemCommand({ ..., ConditionExpression: "attribute_exists(pk)" }));
 * ```
 */
export async function sendIf(client: DynamoDBClient, command: object): Promise<boolean> {
  try {
    await send(client, command);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Put an item unless one with its key exists (`attribute_not_exists(pk)`, or `condition`): true when written, false
 * when the condition refused it. The add of every store that never overwrites.
 *
 * @example
 * ```ts
 * const added = await putIfAbsent(client, table, { pk: S(id), ... });
 * ```
 */
export async function putIfAbsent(
  client: DynamoDBClient,
  table: string,
  item: Item,
  condition: { expression: string; names?: Record<string, string>; values?: Item } = {
    expression: "attribute_not_exists(pk)",
  },
): Promise<boolean> {
  return sendIf(
    client,
    new PutItemCommand({
      TableName: table,
      Item: item,
      ConditionExpression: condition.expression,
      ...(condition.names === undefined ? {} : { ExpressionAttributeNames: condition.names }),
      ...(condition.values === undefined ? {} : { ExpressionAttributeValues: condition.values }),
    }),
  );
}

/** Every item of a table (the tables scanned this way hold a handful of items). */
export async function scanAll(client: DynamoDBClient, table: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await send<{ Items?: Item[]; LastEvaluatedKey?: Item }>(
      client,
      new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}
