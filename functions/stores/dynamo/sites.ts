import { type DynamoDBClient, GetItemCommand } from "@blindgate/aws-json/dynamodb";
import type { PartyStatus, SiteRecord, SiteStore } from "../types.js";
import { type Item, N, num, putIfAbsent, S, scanAll, send, str } from "./item.js";
import { setStatus } from "./providers.js";

/* Sites on DynamoDB, keyed by the SHA-256 of their API key (the key itself is never stored). */

export class DynamoSiteStore implements SiteStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async add(site: SiteRecord): Promise<boolean> {
    if ((await this.list()).some((s) => s.id === site.id)) return false;
    return putIfAbsent(this.client, this.table, {
      pk: S(site.apiKeyHash),
      id: S(site.id),
      name: S(site.name),
      status: S(site.status),
      createdAt: N(site.createdAt),
    });
  }

  async getByKeyHash(apiKeyHash: string): Promise<SiteRecord | undefined> {
    const out = await send<{ Item?: Item; Items?: Item[] }>(
      this.client,
      new GetItemCommand({ TableName: this.table, Key: { pk: S(apiKeyHash) }, ConsistentRead: true }),
    );
    return out.Item === undefined ? undefined : toSite(out.Item);
  }

  async list(): Promise<SiteRecord[]> {
    return (await scanAll(this.client, this.table)).map(toSite);
  }

  async setStatus(id: string, status: PartyStatus): Promise<boolean> {
    const site = (await this.list()).find((s) => s.id === id);
    if (site === undefined) return false;
    return setStatus(this.client, this.table, { pk: S(site.apiKeyHash) }, status);
  }
}

function toSite(item: Item): SiteRecord {
  return {
    apiKeyHash: str(item, "pk"),
    id: str(item, "id"),
    name: str(item, "name"),
    status: str(item, "status") as PartyStatus,
    createdAt: num(item, "createdAt"),
  };
}
