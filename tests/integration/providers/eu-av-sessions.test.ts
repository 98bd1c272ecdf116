import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  GetItemCommand,
} from "@blindgate/aws-json/dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DynamoSessionStore,
  MemorySessionStore,
  type PresentationSession,
  type SessionStore,
} from "../../../providers/eu-av/sessions.js";
import { createSessionsTable, SESSIONS_TABLE } from "../../../providers/eu-av/table.js";
import { type DynamoServer, dynamoServers } from "../../support/dynamo.js";

/*
 * The presentation-session contract (providers/eu-av/sessions.ts) on the three stores the provider runs on: in
 * memory (local mode), and DynamoSessionStore on Amazon's DynamoDB Local and on dynalite, over their real HTTP API,
 * in a table made by createSessionsTable from the definition the CDK construct also reads (table.ts).
 *
 *   pending --claim--> checking --settle--> verified | refused --collect--> collected
 *
 * Each transition happens at most once, a claim after expiresAt is refused, and of concurrent claims (or collects)
 * exactly one wins.
 */

const NOW = 1_800_000_000;
let seq = 0;

const session = (overrides: Partial<PresentationSession> = {}): PresentationSession => ({
  id: `session-${seq++}-${crypto.randomUUID()}`,
  pollHash: "a".repeat(64),
  nonce: crypto.randomUUID(),
  walletOrigin: "https://wallet.example",
  walletState: "wallet-state-1",
  expiresAt: NOW + 300,
  status: "pending",
  ...overrides,
});

interface Backend {
  kind: string;
  dynamo: boolean;
  open(): Promise<{ store: SessionStore; server?: DynamoServer; client?: DynamoDBClient; table?: string }>;
}

const backends: Backend[] = [
  { kind: "memory", dynamo: false, open: async () => ({ store: new MemorySessionStore() }) },
  ...dynamoServers.map(
    ({ kind, start }): Backend => ({
      kind: `DynamoSessionStore on ${kind}`,
      dynamo: true,
      open: async () => {
        const server = await start();
        const client = server.client();
        const table = `eu-av-sessions-${seq++}`;
        await createSessionsTable(client, table);
        return { store: new DynamoSessionStore(client, table), server, client, table };
      },
    }),
  ),
];

describe.each(backends)("session store: $kind", ({ open, dynamo }) => {
  let store: SessionStore;
  let server: DynamoServer | undefined;
  let client: DynamoDBClient | undefined;
  let table: string | undefined;

  beforeAll(async () => {
    ({ store, server, client, table } = await open());
  }, 180_000);
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  it("create then get gives the session back, field for field; an unknown id is undefined", async () => {
    const s = session();
    await store.create(s);
    expect(await store.get(s.id)).toEqual(s);
    expect(await store.get("no-such-session")).toBeUndefined();
  });

  it("an Annex C request's encryptionInfo and recipient key come back as stored", async () => {
    const s = session({
      annexC: { encryptionInfo: "gmVkY2FwaaA", recipientKey: '{"kty":"EC","crv":"P-256"}' },
    });
    await store.create(s);
    expect(await store.get(s.id)).toEqual(s);
  });

  it("a band session keeps its band, and settles with age_below and below_until", async () => {
    const s = session({ band: { from: 13, below: 16 } });
    await store.create(s);
    expect(await store.get(s.id)).toEqual(s);
    expect(await store.claim(s.id, NOW)).toBe(true);
    await store.settle(s.id, {
      ageOver: 13,
      ageBelow: 16,
      belowUntil: 1_900_000_000 - (1_900_000_000 % 86_400),
    });
    expect(await store.get(s.id)).toMatchObject({ status: "verified", ageOver: 13, ageBelow: 16 });
  });

  it("create never overwrites: a second session with the same id is refused and the first kept", async () => {
    const s = session();
    await store.create(s);
    await expect(store.create({ ...s, nonce: "another-nonce" })).rejects.toThrow();
    expect((await store.get(s.id))?.nonce).toBe(s.nonce);
  });

  it("the whole path, each transition once: claim, settle (verified), collect", async () => {
    const s = session();
    await store.create(s);
    expect(await store.collect(s.id)).toBe(false); // nothing to collect while pending
    expect(await store.claim(s.id, NOW)).toBe(true);
    expect(await store.claim(s.id, NOW)).toBe(false); // the nonce/state is answered once
    expect((await store.get(s.id))?.status).toBe("checking");
    expect(await store.collect(s.id)).toBe(false); // nor while checking
    await store.settle(s.id, { ageOver: 18 });
    await store.settle(s.id, { code: "ERR_DIGEST" }); // a second outcome is ignored
    expect(await store.get(s.id)).toEqual({ ...s, status: "verified", ageOver: 18 });
    expect(await store.collect(s.id)).toBe(true);
    expect(await store.collect(s.id)).toBe(false); // the grant is collected once
    expect(await store.claim(s.id, NOW)).toBe(false);
    expect(await store.get(s.id)).toEqual({ ...s, status: "collected", ageOver: 18 });
  });

  it("a refusal keeps its code and is collected once too", async () => {
    const s = session();
    await store.create(s);
    expect(await store.claim(s.id, NOW)).toBe(true);
    await store.settle(s.id, { code: "ERR_UNDER_AGE" });
    await store.settle(s.id, { ageOver: 21 }); // ignored: settled already
    expect(await store.get(s.id)).toEqual({ ...s, status: "refused", code: "ERR_UNDER_AGE" });
    expect(await store.collect(s.id)).toBe(true);
    expect(await store.collect(s.id)).toBe(false);
  });

  it("a wallet's error answer keeps the app's error and description beside the code", async () => {
    const s = session();
    await store.create(s);
    expect(await store.claim(s.id, NOW)).toBe(true);
    const outcome = {
      code: "ERR_WALLET_ERROR",
      walletError: "invalid_request",
      walletErrorDescription: "no",
    };
    await store.settle(s.id, outcome);
    expect(await store.get(s.id)).toEqual({ ...s, ...outcome, status: "refused" });
  });

  it("settle before any claim changes nothing (only a checking session settles)", async () => {
    const s = session();
    await store.create(s);
    await store.settle(s.id, { ageOver: 18 });
    expect(await store.get(s.id)).toEqual(s);
    await store.settle("no-such-session", { ageOver: 18 }); // no error, nothing created
    expect(await store.get("no-such-session")).toBeUndefined();
  });

  it("expiry: claimable up to expiresAt inclusive, refused one second after; unknown ids refused", async () => {
    const late = session();
    await store.create(late);
    expect(await store.claim(late.id, late.expiresAt + 1)).toBe(false);
    expect((await store.get(late.id))?.status).toBe("pending");
    const edge = session();
    await store.create(edge);
    expect(await store.claim(edge.id, edge.expiresAt)).toBe(true);
    expect(await store.claim("no-such-session", NOW)).toBe(false);
  });

  it("20 concurrent claims of one session: exactly one wins; 20 concurrent collects: exactly one wins", async () => {
    const s = session();
    await store.create(s);
    const claims = await Promise.all(Array.from({ length: 20 }, () => store.claim(s.id, NOW)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    await store.settle(s.id, { ageOver: 18 });
    const collects = await Promise.all(Array.from({ length: 20 }, () => store.collect(s.id)));
    expect(collects.filter(Boolean)).toHaveLength(1);
  });

  if (!dynamo) return;

  it("the table is the one table.ts defines: key pk, on demand, TTL on ttl (expiresAt + grace)", async () => {
    if (client === undefined || table === undefined) throw new Error("no table");
    const described = await client.send(new DescribeTableCommand({ TableName: table }));
    expect(described.Table?.KeySchema).toEqual([
      { AttributeName: SESSIONS_TABLE.partitionKey, KeyType: "HASH" },
    ]);
    expect(described.Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    const s = session();
    await store.create(s);
    const raw = await client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: s.id } }, ConsistentRead: true }),
    );
    expect(raw.Item?.[SESSIONS_TABLE.ttlAttribute]?.N).toBe(
      String(s.expiresAt + SESSIONS_TABLE.ttlGraceSeconds),
    );
    // dynalite has no TTL API; DynamoDB Local keeps the TTL setting as DynamoDB does.
    if (server?.kind === "dynamodb-local") {
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
      expect(ttl.TimeToLiveDescription).toMatchObject({
        AttributeName: SESSIONS_TABLE.ttlAttribute,
        TimeToLiveStatus: "ENABLED",
      });
    }
  });
});
