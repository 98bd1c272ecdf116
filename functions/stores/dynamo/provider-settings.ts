import { type DynamoDBClient, UpdateItemCommand } from "@blindgate/aws-json/dynamodb";
import type { ProviderSettings, ProviderSettingsStore } from "../types.js";
import { N, S, sendIf } from "./item.js";

/*
 * An operator's changes to a provider, on the providers table: one conditional update of the named attributes
 * (the provider must exist; nothing else of its item is touched: status, usage counters, JWKS stay as they are).
 * The issue function reads providers through a per-container cache: a change holds everywhere within its refresh.
 */

export class DynamoProviderSettings implements ProviderSettingsStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async update(id: string, changes: ProviderSettings): Promise<boolean> {
    // bands are kept as one string of ids ("13-16,16-18"; "" for none): DynamoDB has no empty set
    const set = Object.entries(changes)
      .filter(([, v]) => v !== undefined)
      .map(([name, v]) => [name, Array.isArray(v) ? S(v.join(",")) : N(v as number)] as const);
    if (set.length === 0) return true;
    return sendIf(
      this.client,
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: S(id) },
        UpdateExpression: `SET ${set.map((_, i) => `#a${i} = :v${i}`).join(", ")}`,
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeNames: Object.fromEntries(set.map(([name], i) => [`#a${i}`, name])),
        ExpressionAttributeValues: Object.fromEntries(set.map(([, value], i) => [`:v${i}`, value])),
      }),
    );
  }
}
