import { createHash } from "node:crypto";
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { keyLogCanonical } from "@blindgate/sdk/protocol";
import type {
  KeyLogEntry,
  KeyLogEntryInput,
  KeyLogStore,
  KeyStore,
  OnceStore,
  PartyStatus,
  ProviderRecord,
  ProviderStore,
  SiteRecord,
  SiteStore,
  Stores,
  TokenKeyRecord,
} from "./types.js";

/*
 * The stores on DynamoDB. Every table has the string partition key `pk`; the key log also has the number sort
 * key `seq`; items that expire carry `ttl` (epoch seconds) and every read checks expiry itself, because TTL
 * deletion lags up to 48 hours.
 */

/** Names of the six tables. */
export interface TableNames {
  keys: string;
  keyLog: string;
  providers: string;
  sites: string;
  grants: string;
  spent: string;
}

/** Default table names of a local gateway (AWS names come from the stack through the environment). */
export function localTableNames(prefix = "blindgate"): TableNames {
  return {
    keys: `${prefix}-keys`,
    keyLog: `${prefix}-key-log`,
    providers: `${prefix}-providers`,
    sites: `${prefix}-sites`,
    grants: `${prefix}-grants`,
    spent: `${prefix}-spent`,
  };
}

type Item = Record<string, AttributeValue>;

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });
const B = (b: Uint8Array): AttributeValue => ({ B: b });

function str(item: Item, name: string): string {
  const v = item[name];
  if (v?.S === undefined) throw new Error(`store: item without string attribute ${name}`);
  return v.S;
}
function num(item: Item, name: string): number {
  const v = item[name];
  if (v?.N === undefined) throw new Error(`store: item without number attribute ${name}`);
  return Number(v.N);
}
function bin(item: Item, name: string): Uint8Array {
  const v = item[name];
  if (v?.B === undefined) throw new Error(`store: item without binary attribute ${name}`);
  return v.B;
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === "ConditionalCheckFailedException")
  );
}

/** Every item of a table (the tables scanned this way hold a handful of items). */
async function scanAll(client: DynamoDBClient, table: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await client.send(
      new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

class DynamoKeyStore implements KeyStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async add(key: TokenKeyRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: S(key.id),
            truncatedId: N(key.truncatedId),
            threshold: N(key.threshold),
            spki: B(key.spki),
            publishAt: N(key.publishAt),
            notBefore: N(key.notBefore),
            issueUntil: N(key.issueUntil),
            validUntil: N(key.validUntil),
            sealedPrivateKey: B(key.sealedPrivateKey),
            createdAt: N(key.createdAt),
            // TTL removes the record a day after its last token expired (code checks validUntil itself).
            ttl: N(key.validUntil + 86_400),
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async list(): Promise<TokenKeyRecord[]> {
    return (await scanAll(this.client, this.table)).map((item) => ({
      id: str(item, "pk"),
      truncatedId: num(item, "truncatedId"),
      threshold: num(item, "threshold"),
      spki: bin(item, "spki"),
      publishAt: num(item, "publishAt"),
      notBefore: num(item, "notBefore"),
      issueUntil: num(item, "issueUntil"),
      validUntil: num(item, "validUntil"),
      sealedPrivateKey: bin(item, "sealedPrivateKey"),
      createdAt: num(item, "createdAt"),
    }));
  }

  async remove(id: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: { pk: S(id) } }));
  }
}

/** An entry's hash (the SDK's canonical form, hashed with node:crypto: synchronous). */
function keyLogHash(entry: Omit<KeyLogEntry, "hash">): string {
  return createHash("sha256").update(keyLogCanonical(entry)).digest("hex");
}

const LOG_PK = "log";

class DynamoKeyLogStore implements KeyLogStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async append(input: KeyLogEntryInput): Promise<KeyLogEntry> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const last = await this.#last();
      const seq = last === undefined ? 0 : last.seq + 1;
      const unhashed = { ...input, seq, prevHash: last?.hash ?? "" };
      const entry: KeyLogEntry = { ...unhashed, hash: keyLogHash(unhashed) };
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: {
              pk: S(LOG_PK),
              seq: N(seq),
              at: N(entry.at),
              event: S(entry.event),
              keyId: S(entry.keyId),
              threshold: N(entry.threshold),
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
    throw new Error("key log: too many concurrent appends");
  }

  async list(fromSeq: number, limit: number): Promise<KeyLogEntry[]> {
    const out = await this.client.send(
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
    const out = await this.client.send(
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
    at: num(item, "at"),
    event: str(item, "event") as KeyLogEntry["event"],
    keyId: str(item, "keyId"),
    threshold: num(item, "threshold"),
    spki: str(item, "spki"),
    notBefore: num(item, "notBefore"),
    issueUntil: num(item, "issueUntil"),
    validUntil: num(item, "validUntil"),
    prevHash: str(item, "prevHash"),
    hash: str(item, "hash"),
  };
}

/** Name of the per-period usage attribute ("YYYY-MM" → usage_YYYY_MM). */
function usageAttribute(prefix: string, period: string): string {
  if (!/^\d{4}-\d{2}$/.test(period)) throw new Error("store: period must be YYYY-MM");
  return `${prefix}_${period.replace("-", "_")}`;
}

class DynamoProviderStore implements ProviderStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async put(p: ProviderRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: S(p.id),
          name: S(p.name),
          verifyUrl: S(p.verifyUrl),
          jwks: S(JSON.stringify(p.jwks)),
          status: S(p.status),
          monthlyQuota: N(p.monthlyQuota),
          createdAt: N(p.createdAt),
        },
      }),
    );
  }

  async get(id: string): Promise<ProviderRecord | undefined> {
    const out = await this.client.send(
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

  async consumeQuota(id: string, period: string, tokens: number, quota: number): Promise<boolean> {
    const attr = usageAttribute("usage", period);
    if (tokens > quota) return false; // (the condition below cannot see this when the counter is still absent)
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(id) },
          UpdateExpression: "SET #u = if_not_exists(#u, :zero) + :n",
          ConditionExpression: "attribute_exists(pk) AND (attribute_not_exists(#u) OR #u <= :max)",
          ExpressionAttributeNames: { "#u": attr },
          ExpressionAttributeValues: { ":zero": N(0), ":n": N(tokens), ":max": N(quota - tokens) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async usage(id: string, period: string): Promise<number> {
    const attr = usageAttribute("usage", period);
    const out = await this.client.send(
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
    verifyUrl: str(item, "verifyUrl"),
    jwks: JSON.parse(str(item, "jwks")) as ProviderRecord["jwks"],
    status: str(item, "status") as PartyStatus,
    monthlyQuota: num(item, "monthlyQuota"),
    createdAt: num(item, "createdAt"),
  };
}

async function setStatus(
  client: DynamoDBClient,
  table: string,
  key: Item,
  status: PartyStatus,
): Promise<boolean> {
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: key,
        UpdateExpression: "SET #s = :s",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeNames: { "#s": "status" },
        ExpressionAttributeValues: { ":s": S(status) },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

class DynamoSiteStore implements SiteStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async put(site: SiteRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: S(site.apiKeyHash),
          id: S(site.id),
          name: S(site.name),
          status: S(site.status),
          createdAt: N(site.createdAt),
        },
      }),
    );
  }

  async getByKeyHash(apiKeyHash: string): Promise<SiteRecord | undefined> {
    const out = await this.client.send(
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

/** Single use by one conditional write; the item holds the id and its expiry, nothing else. */
class DynamoOnceStore implements OnceStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async useOnce(id: string, expiresAt: number, now: number): Promise<boolean> {
    try {
      await this.client.send(
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
}

/** The gateway's stores on one DynamoDB endpoint. */
export function dynamoStores(client: DynamoDBClient, tables: TableNames): Stores {
  return {
    keys: new DynamoKeyStore(client, tables.keys),
    keyLog: new DynamoKeyLogStore(client, tables.keyLog),
    providers: new DynamoProviderStore(client, tables.providers),
    sites: new DynamoSiteStore(client, tables.sites),
    grants: new DynamoOnceStore(client, tables.grants),
    spent: new DynamoOnceStore(client, tables.spent),
  };
}

/**
 * Create the tables (locally and in tests; on AWS the CDK stack owns them), with TTL on `ttl`. Tables that exist
 * already are left as they are.
 */
export async function createTables(client: DynamoDBClient, tables: TableNames): Promise<void> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const [role, name] of Object.entries(tables) as [keyof TableNames, string][]) {
    if (existing.has(name)) continue;
    const withSeq = role === "keyLog";
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          ...(withSeq ? [{ AttributeName: "seq", AttributeType: "N" as const }] : []),
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          ...(withSeq ? [{ AttributeName: "seq", KeyType: "RANGE" as const }] : []),
        ],
      }),
    );
    await waitActive(client, name);
    if (role !== "keyLog" && role !== "providers" && role !== "sites") {
      try {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: name,
            TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
          }),
        );
      } catch {
        // dynalite has no TTL API; code checks expiry itself, TTL only tidies up.
      }
    }
  }
}

async function waitActive(client: DynamoDBClient, table: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: table }));
    if (out.Table?.TableStatus === "ACTIVE") return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`store: table ${table} did not become active`);
}
