import { createHash } from "node:crypto";
import { type DynamoDBClient, PutItemCommand, QueryCommand } from "@blindgate/aws-json/dynamodb";
import { keyLogCanonical } from "@blindgate/sdk/protocol/internal";
import { StoreError } from "../errors.js";
import type { KeyLogEntry, KeyLogEntryInput, KeyLogStore } from "../types.js";
import { type Item, isConditionFailure, N, num, S, send, str } from "./item.js";

/* The key log on DynamoDB: pk "log", sort key seq; an append is a conditional put of the next seq. */

/** An entry's hash (the SDK's canonical form, hashed with node:crypto: synchronous). */
function keyLogHash(entry: Omit<KeyLogEntry, "hash">): string {
  return createHash("sha256").update(keyLogCanonical(entry)).digest("hex");
}

const LOG_PK = "log";
const MAX_APPEND_ATTEMPTS = 64;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class DynamoKeyLogStore implements KeyLogStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async append(input: KeyLogEntryInput): Promise<KeyLogEntry> {
    // A lost race means another writer appended: every failed attempt is someone's progress, so n concurrent
    // writers need at most n attempts each. The bound only stops a runaway; the jitter spreads the retries.
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      if (attempt > 0) await sleep(Math.random() * Math.min(50, 2 ** attempt));
      const last = await this.#last();
      const seq = last === undefined ? 0 : last.seq + 1;
      const unhashed = { ...input, seq, prevHash: last?.hash ?? "" };
      const entry: KeyLogEntry = { ...unhashed, hash: keyLogHash(unhashed) };
      try {
        await send(
          this.client,
          new PutItemCommand({
            TableName: this.table,
            Item: {
              pk: S(LOG_PK),
              seq: N(seq),
              // kind is hashed when not "token" (key-log.ts): it is kept, or the chain would not verify
              ...(entry.kind !== undefined ? { kind: S(entry.kind) } : {}),
              at: N(entry.at),
              event: S(entry.event),
              keyId: S(entry.keyId),
              threshold: N(entry.threshold),
              // hashed when present (band keys only): kept, or the chain would not verify
              ...(entry.ageBelow !== undefined ? { ageBelow: N(entry.ageBelow) } : {}),
              spki: S(entry.spki),
              notBefore: N(entry.notBefore),
              issueUntil: N(entry.issueUntil),
              validUntil: N(entry.validUntil),
              prevHash: S(entry.prevHash),
              hash: S(entry.hash),
            },
            // Append-only: a sequence number is written once; a concurrent writer retries on the new tail.
            ConditionExpression: "attribute_not_exists(seq)",
          }),
        );
        return entry;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    throw new StoreError("ERR_STORE_UNAVAILABLE", "key log: too many concurrent appends");
  }

  async list(fromSeq: number, limit: number): Promise<KeyLogEntry[]> {
    const out = await send<{ Item?: Item; Items?: Item[] }>(
      this.client,
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: "pk = :pk AND seq >= :from",
        ExpressionAttributeValues: { ":pk": S(LOG_PK), ":from": N(fromSeq) },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map(toLogEntry);
  }

  async #last(): Promise<KeyLogEntry | undefined> {
    const out = await send<{ Item?: Item; Items?: Item[] }>(
      this.client,
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": S(LOG_PK) },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    const item = out.Items?.[0];
    return item === undefined ? undefined : toLogEntry(item);
  }
}

function toLogEntry(item: Item): KeyLogEntry {
  return {
    seq: num(item, "seq"),
    ...(item.kind?.S !== undefined ? { kind: item.kind.S as NonNullable<KeyLogEntry["kind"]> } : {}),
    at: num(item, "at"),
    event: str(item, "event") as KeyLogEntry["event"],
    keyId: str(item, "keyId"),
    threshold: num(item, "threshold"),
    ...(item.ageBelow?.N !== undefined ? { ageBelow: num(item, "ageBelow") } : {}),
    spki: str(item, "spki"),
    notBefore: num(item, "notBefore"),
    issueUntil: num(item, "issueUntil"),
    validUntil: num(item, "validUntil"),
    prevHash: str(item, "prevHash"),
    hash: str(item, "hash"),
  };
}
