import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@blindgate/aws-json/dynamodb";
import type { PartyStatus, ProviderRecord, ProviderStore, QuotaOutcome } from "../types.js";
import { type Item, isConditionFailure, N, num, putIfAbsent, S, scanAll, send, sendIf, str } from "./item.js";

/* Verification providers on DynamoDB, with their monthly usage as one counter attribute per month. */

/** Name of the per-period usage attribute ("YYYY-MM" → usage_YYYY_MM). */
function usageAttribute(prefix: string, period: string): string {
  if (!/^\d{4}-\d{2}$/.test(period)) throw new RangeError("store: period must be YYYY-MM");
  return `${prefix}_${period.replace("-", "_")}`;
}

export class DynamoProviderStore implements ProviderStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async add(p: ProviderRecord): Promise<boolean> {
    // An id is added once: re-adding never resets a suspension, a quota or a key.
    return putIfAbsent(this.client, this.table, {
      pk: S(p.id),
      name: S(p.name),
      ...(p.names === undefined ? {} : { names: S(JSON.stringify(p.names)) }),
      verifyUrl: S(p.verifyUrl),
      jwks: S(JSON.stringify(p.jwks)),
      status: S(p.status),
      monthlyQuota: N(p.monthlyQuota),
      maxThreshold: N(p.maxThreshold),
      ...(p.bands === undefined ? {} : { bands: S(p.bands.join(",")) }),
      ...(p.monthlyBandQuota === undefined ? {} : { monthlyBandQuota: N(p.monthlyBandQuota) }),
      createdAt: N(p.createdAt),
    });
  }

  async get(id: string): Promise<ProviderRecord | undefined> {
    const out = await send<{ Item?: Item; Items?: Item[] }>(
      this.client,
      new GetItemCommand({ TableName: this.table, Key: { pk: S(id) }, ConsistentRead: true }),
    );
    return out.Item === undefined ? undefined : toProvider(out.Item);
  }

  async list(): Promise<ProviderRecord[]> {
    return (await scanAll(this.client, this.table)).map(toProvider);
  }

  async setStatus(id: string, status: PartyStatus): Promise<boolean> {
    return setStatus(this.client, this.table, { pk: S(id) }, status);
  }

  async consumeQuota(
    id: string,
    period: string,
    tokens: number,
    quota: number,
    band?: { readonly quota: number },
  ): Promise<QuotaOutcome> {
    const attr = usageAttribute("usage", period);
    const bandAttr = usageAttribute("bands", period);
    try {
      if (tokens > quota || (band !== undefined && band.quota < 1)) {
        throw new ConditionalCheckFailedException({ message: "over quota", $metadata: {} });
      }
      // A band grant is counted in the same write as its tokens: both quotas hold, or neither is touched.
      const bandPart = band === undefined ? "" : ", #b = if_not_exists(#b, :zero) + :one";
      const bandCondition = band === undefined ? "" : " AND (attribute_not_exists(#b) OR #b <= :bmax)";
      await send(
        this.client,
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(id) },
          UpdateExpression: `SET #u = if_not_exists(#u, :zero) + :n${bandPart}`,
          // Conditional on the provider being active: a suspension cuts issuance off at once, even while the
          // provider's record is cached by a container.
          ConditionExpression: `attribute_exists(pk) AND #s = :active AND (attribute_not_exists(#u) OR #u <= :max)${bandCondition}`,
          ExpressionAttributeNames: {
            "#u": attr,
            "#s": "status",
            ...(band === undefined ? {} : { "#b": bandAttr }),
          },
          ExpressionAttributeValues: {
            ":zero": N(0),
            ":n": N(tokens),
            ":max": N(quota - tokens),
            ":active": S("active"),
            ...(band === undefined ? {} : { ":one": N(1), ":bmax": N(band.quota - 1) }),
          },
        }),
      );
      return "ok";
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const provider = await this.get(id);
      if (provider === undefined || provider.status !== "active") return "inactive";
      if (band !== undefined && (await this.bandUsage(id, period)) + 1 > band.quota) return "over-band-quota";
      return "over-quota";
    }
  }

  async refundQuota(id: string, period: string, tokens: number, band = false): Promise<void> {
    const attr = usageAttribute("usage", period);
    await send(
      this.client,
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: S(id) },
        UpdateExpression: band ? "SET #u = #u - :n, #b = #b - :one" : "SET #u = #u - :n",
        ConditionExpression: band ? "#u >= :n AND #b >= :one" : "#u >= :n",
        ExpressionAttributeNames: { "#u": attr, ...(band ? { "#b": usageAttribute("bands", period) } : {}) },
        ExpressionAttributeValues: { ":n": N(tokens), ...(band ? { ":one": N(1) } : {}) },
      }),
    ).catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
  }

  async bandUsage(id: string, period: string): Promise<number> {
    const attr = usageAttribute("bands", period);
    const out = await send<{ Item?: Item; Items?: Item[] }>(
      this.client,
      new GetItemCommand({ TableName: this.table, Key: { pk: S(id) }, ConsistentRead: true }),
    );
    const v = out.Item?.[attr]?.N;
    return v === undefined ? 0 : Number(v);
  }

  async usage(id: string, period: string): Promise<number> {
    const attr = usageAttribute("usage", period);
    const out = await send<{ Item?: Item; Items?: Item[] }>(
      this.client,
      new GetItemCommand({ TableName: this.table, Key: { pk: S(id) }, ConsistentRead: true }),
    );
    const v = out.Item?.[attr]?.N;
    return v === undefined ? 0 : Number(v);
  }
}

function toProvider(item: Item): ProviderRecord {
  return {
    id: str(item, "pk"),
    name: str(item, "name"),
    ...(item.names?.S === undefined ? {} : { names: JSON.parse(item.names.S) as Record<string, string> }),
    verifyUrl: str(item, "verifyUrl"),
    jwks: JSON.parse(str(item, "jwks")) as ProviderRecord["jwks"],
    status: str(item, "status") as PartyStatus,
    monthlyQuota: num(item, "monthlyQuota"),
    maxThreshold: num(item, "maxThreshold"),
    ...(item.bands?.S === undefined ? {} : { bands: item.bands.S.split(",").filter((b) => b.length > 0) }),
    ...(item.monthlyBandQuota?.N === undefined ? {} : { monthlyBandQuota: num(item, "monthlyBandQuota") }),
    createdAt: num(item, "createdAt"),
  };
}

export async function setStatus(
  client: DynamoDBClient,
  table: string,
  key: Item,
  status: PartyStatus,
): Promise<boolean> {
  return sendIf(
    client,
    new UpdateItemCommand({
      TableName: table,
      Key: key,
      UpdateExpression: "SET #s = :s",
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeNames: { "#s": "status" },
      ExpressionAttributeValues: { ":s": S(status) },
    }),
  );
}
