import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@blindgate/aws-json/dynamodb";
import type { ReportKeyRecord, ReportStore, SealedReport } from "../types.js";
import { B, bin, type Item, N, num, putIfAbsent, S, send, str } from "./item.js";

/*
 * The transparency report on DynamoDB, one table, three kinds of item:
 *
 *   pk "count#<day>#<shard>"   one number attribute per counter, added to with `ADD` (no read, no condition)
 *   pk "report#<day>"          a sealed report, put once (attribute_not_exists)
 *   pk "key#report"            the report key, put once
 *
 * Counters are spread over COUNTER_SHARDS items per day, picked at random per write: one DynamoDB item takes at
 * most 1,000 writes a second, and every issuance and check of the day adds to these counters. Reading a day sums
 * its shards (COUNTER_SHARDS consistent GetItems, once per day when the report is sealed).
 */

/** Counter items per day. */
export const COUNTER_SHARDS = 8;

const KEY_PK = "key#report";

function day(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new RangeError("store: day must be YYYY-MM-DD");
  return value;
}

export class DynamoReportStore implements ReportStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly shard: () => number = () => Math.floor(Math.random() * COUNTER_SHARDS),
  ) {}

  async count(d: string, counts: Readonly<Record<string, number>>): Promise<void> {
    const entries = Object.entries(counts).filter(([, n]) => n !== 0);
    if (entries.length === 0) return;
    const names: Record<string, string> = {};
    const values: Record<string, { N: string }> = {};
    const adds = entries.map(([name, n], i) => {
      names[`#c${i}`] = name;
      values[`:c${i}`] = N(n) as { N: string };
      return `#c${i} :c${i}`;
    });
    await send(
      this.client,
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: S(`count#${day(d)}#${this.shard()}`) },
        UpdateExpression: `ADD ${adds.join(", ")}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async counters(d: string): Promise<Record<string, number>> {
    const shards = await Promise.all(
      Array.from({ length: COUNTER_SHARDS }, (_, i) => this.#get(`count#${day(d)}#${i}`)),
    );
    const sum: Record<string, number> = {};
    for (const item of shards) {
      for (const [name, value] of Object.entries(item ?? {})) {
        if (name === "pk" || value.N === undefined) continue;
        sum[name] = (sum[name] ?? 0) + Number(value.N);
      }
    }
    return sum;
  }

  async getReport(d: string): Promise<SealedReport | undefined> {
    const item = await this.#get(`report#${day(d)}`);
    if (item === undefined) return undefined;
    return { day: d, hash: str(item, "hash"), answer: str(item, "answer") };
  }

  async putReport(report: SealedReport): Promise<boolean> {
    return putIfAbsent(this.client, this.table, {
      pk: S(`report#${day(report.day)}`),
      hash: S(report.hash),
      answer: S(report.answer),
    });
  }

  async getKey(): Promise<ReportKeyRecord | undefined> {
    const item = await this.#get(KEY_PK);
    if (item === undefined) return undefined;
    return {
      id: str(item, "id"),
      spki: bin(item, "spki"),
      sealedPrivateKey: bin(item, "sealedPrivateKey"),
      firstDay: str(item, "firstDay"),
      notBefore: num(item, "notBefore"),
      issueUntil: num(item, "issueUntil"),
      validUntil: num(item, "validUntil"),
      createdAt: num(item, "createdAt"),
      announced: item.announced?.BOOL === true,
    };
  }

  async addKey(key: ReportKeyRecord): Promise<boolean> {
    return putIfAbsent(this.client, this.table, {
      pk: S(KEY_PK),
      id: S(key.id),
      spki: B(key.spki),
      sealedPrivateKey: B(key.sealedPrivateKey),
      firstDay: S(day(key.firstDay)),
      notBefore: N(key.notBefore),
      issueUntil: N(key.issueUntil),
      validUntil: N(key.validUntil),
      createdAt: N(key.createdAt),
    });
  }

  async markAnnounced(): Promise<void> {
    await send(
      this.client,
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: S(KEY_PK) },
        UpdateExpression: "SET #a = :yes",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeNames: { "#a": "announced" },
        ExpressionAttributeValues: { ":yes": { BOOL: true } },
      }),
    );
  }

  async #get(pk: string): Promise<Item | undefined> {
    const out = await send<{ Item?: Item }>(
      this.client,
      new GetItemCommand({ TableName: this.table, Key: { pk: S(pk) }, ConsistentRead: true }),
    );
    return out.Item;
  }
}
