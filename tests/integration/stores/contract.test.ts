import { DynamoDBClient } from "@blindgate/aws-json/dynamodb";
import { verifyKeyLog } from "@blindgate/sdk/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTables,
  dynamoStores,
  localTableNames,
  type ProviderRecord,
  type Stores,
  type TokenKeyRecord,
} from "../../../functions/stores/index.js";
import { type DynamoServer, dynamoServers } from "../../support/dynamo.js";

/*
 * The store contract (functions/stores/types.ts) on both DynamoDB servers the project runs on — dynalite (npm start,
 * most tests) and Amazon's DynamoDB Local — through the real HTTP API: the single-use write and its expiry branch,
 * claims that keep a record, leases given back, the quota at its boundary and for an inactive provider, adds that
 * never overwrite, status changes of missing items, and concurrent key-log appends.
 */

const NOW = 1_800_000_000;
let run = 0;

describe.each(dynamoServers)("stores on $kind", ({ kind, start }) => {
  let server: DynamoServer;
  let stores: Stores;
  /** The operations sent to the server, in order (the real client's calls, observed, not replaced). */
  const sent: string[] = [];
  let client: unknown;

  beforeAll(async () => {
    server = await start();
    const tables = localTableNames(`contract-${run++}`);
    const shipped = server.client();
    client = shipped;
    await createTables(shipped, tables);
    const send = shipped.send.bind(shipped);
    shipped.send = ((command: { operation: string }) => {
      sent.push(command.operation);
      return send(command as never);
    }) as typeof shipped.send;
    stores = dynamoStores(shipped, tables);
  }, 180_000);
  afterAll(async () => server?.stop());

  it("runs on the AWS client the functions ship (@blindgate/aws-json, built by functions/runtime.ts)", () => {
    expect(client).toBeInstanceOf(DynamoDBClient);
  });

  const provider = (id: string, quota = 5): ProviderRecord => ({
    id,
    name: `Provider ${id}`,
    verifyUrl: "https://provider.example/verify",
    jwks: { keys: [] },
    status: "active",
    monthlyQuota: quota,
    maxThreshold: 18,
    createdAt: NOW,
  });

  const used = (expiresAt: number) => ({ status: "used", expiresAt }) as const;

  it("claim: once, then refused until the expiry, then free again (the `ttl < :now` branch)", async () => {
    expect((await stores.spent.claim("a", used(NOW + 10), NOW)).claimed).toBe(true);
    expect(await stores.spent.claim("a", used(NOW + 10), NOW)).toEqual({
      claimed: false,
      held: { status: "used", expiresAt: NOW + 10 },
    });
    expect((await stores.spent.claim("a", used(NOW + 10), NOW + 9)).claimed).toBe(false);
    // TTL deletion lags: an expired item still in the table counts as absent
    expect((await stores.spent.claim("a", used(NOW + 100), NOW + 11)).claimed).toBe(true);
    expect((await stores.spent.claim("a", used(NOW + 100), NOW + 12)).claimed).toBe(false);
  });

  it("a refused claim comes back with the record that holds the id, in one request where the server sends it", async () => {
    const record = { status: "used", expiresAt: NOW + 60, requestHash: new Uint8Array([4, 5]) } as const;
    expect((await stores.claims.claim("one-trip", record, NOW)).claimed).toBe(true);
    sent.length = 0;
    const refused = await stores.claims.claim(
      "one-trip",
      { ...record, requestHash: new Uint8Array([6]) },
      NOW,
    );
    expect(refused.claimed === false && Array.from(refused.held.requestHash ?? [])).toEqual([4, 5]);
    // DynamoDB Local, like DynamoDB, returns the old item with the refusal (ALL_OLD); dynalite predates that and
    // costs one consistent read
    expect(sent).toEqual(kind === "dynamodb-local" ? ["PutItem"] : ["PutItem", "GetItem"]);
  });

  it("claim under 50 concurrent writers: exactly one wins", async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () => stores.spent.claim("race", used(NOW + 60), NOW)),
    );
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
  });

  it("claim keeps its named attributes for the later claims; held reads them; release gives the id back", async () => {
    const record = {
      status: "answered",
      expiresAt: NOW + 60,
      requestHash: new Uint8Array(32).fill(7),
      answer: new Uint8Array([1, 2, 3]),
    } as const;
    expect(await stores.claims.claim("c", record, NOW)).toEqual({ claimed: true });
    const again = await stores.claims.claim("c", { ...record, answer: new Uint8Array([9]) }, NOW);
    expect(again.claimed).toBe(false);
    if (again.claimed) throw new Error("claimed twice");
    expect(again.held.status).toBe("answered");
    expect(again.held.expiresAt).toBe(NOW + 60);
    expect(Array.from(again.held.requestHash ?? [])).toEqual(Array(32).fill(7));
    expect(Array.from(again.held.answer ?? [])).toEqual([1, 2, 3]);
    expect((await stores.claims.held("c", NOW))?.status).toBe("answered");
    expect(await stores.claims.held("c", NOW + 61)).toBeUndefined(); // expired counts as absent
    expect(await stores.claims.held("nothing", NOW)).toBeUndefined();
    await stores.claims.release("c");
    expect((await stores.claims.claim("c", record, NOW)).claimed).toBe(true);
    await stores.claims.release("never-there"); // nothing to give back: no error
  });

  it("quota: counted up to its boundary exactly, never past it, not for an inactive provider; refunds", async () => {
    expect(await stores.providers.add(provider("q"))).toBe(true);
    const month = "2027-01";
    expect(await stores.providers.consumeQuota("q", month, 6, 5)).toBe("over-quota"); // more than the whole quota
    expect(await stores.providers.consumeQuota("q", month, 3, 5)).toBe("ok");
    expect(await stores.providers.consumeQuota("q", month, 3, 5)).toBe("over-quota");
    expect(await stores.providers.consumeQuota("q", month, 2, 5)).toBe("ok"); // exactly at the boundary
    expect(await stores.providers.consumeQuota("q", month, 1, 5)).toBe("over-quota");
    expect(await stores.providers.usage("q", month)).toBe(5);
    await stores.providers.refundQuota("q", month, 2);
    expect(await stores.providers.usage("q", month)).toBe(3);
    expect(await stores.providers.usage("q", "2027-02")).toBe(0);
    expect(await stores.providers.setStatus("q", "suspended")).toBe(true);
    expect(await stores.providers.consumeQuota("q", month, 1, 5)).toBe("inactive");
    expect(await stores.providers.consumeQuota("nobody", month, 1, 5)).toBe("inactive");
  });

  it("band quota: a band grant counts in the same write as its tokens; both quotas hold or neither is touched", async () => {
    expect(
      await stores.providers.add({ ...provider("qb", 10), bands: ["13-16", "16-18"], monthlyBandQuota: 2 }),
    ).toBe(true);
    expect(await stores.providers.get("qb")).toMatchObject({
      bands: ["13-16", "16-18"],
      monthlyBandQuota: 2,
    });
    const month = "2027-01";
    expect(await stores.providers.consumeQuota("qb", month, 3, 10, { quota: 2 })).toBe("ok");
    expect(await stores.providers.consumeQuota("qb", month, 1, 10)).toBe("ok"); // a threshold grant: no band count
    expect(await stores.providers.consumeQuota("qb", month, 3, 10, { quota: 2 })).toBe("ok");
    expect(await stores.providers.bandUsage("qb", month)).toBe(2);
    // the band quota is used up: refused, and its tokens are not counted either
    expect(await stores.providers.consumeQuota("qb", month, 1, 10, { quota: 2 })).toBe("over-band-quota");
    expect(await stores.providers.usage("qb", month)).toBe(7);
    // the token quota refuses a band grant too, without counting the band grant
    expect(await stores.providers.consumeQuota("qb", month, 4, 10, { quota: 5 })).toBe("over-quota");
    expect(await stores.providers.bandUsage("qb", month)).toBe(2);
    // a refund gives back the tokens and the band grant
    await stores.providers.refundQuota("qb", month, 3, true);
    expect(await stores.providers.usage("qb", month)).toBe(4);
    expect(await stores.providers.bandUsage("qb", month)).toBe(1);
    expect(await stores.providers.consumeQuota("qb", month, 1, 10, { quota: 0 })).toBe("over-band-quota");
  });

  it("concurrent quota writes never count past the quota", async () => {
    expect(await stores.providers.add(provider("qc", 10))).toBe(true);
    const results = await Promise.all(
      Array.from({ length: 25 }, () => stores.providers.consumeQuota("qc", "2027-01", 1, 10)),
    );
    expect(results.filter((r) => r === "ok")).toHaveLength(10);
    expect(await stores.providers.usage("qc", "2027-01")).toBe(10);
  });

  it("adds never overwrite; status changes of a missing item say so", async () => {
    expect(await stores.providers.add(provider("p"))).toBe(true);
    await stores.providers.setStatus("p", "suspended");
    expect(await stores.providers.add({ ...provider("p"), monthlyQuota: 99 })).toBe(false);
    expect(await stores.providers.get("p")).toMatchObject({
      status: "suspended",
      monthlyQuota: 5,
      maxThreshold: 18,
    });
    expect(await stores.providers.setStatus("missing", "active")).toBe(false);
    const site = { apiKeyHash: "h1", id: "s1", name: "Site", status: "active" as const, createdAt: NOW };
    expect(await stores.sites.add(site)).toBe(true);
    expect(await stores.sites.add({ ...site, apiKeyHash: "h2" })).toBe(false); // same id
    expect(await stores.sites.add({ ...site, id: "s2" })).toBe(false); // same key hash
    expect(await stores.sites.setStatus("missing", "suspended")).toBe(false);
    const key: TokenKeyRecord = {
      kind: "credit",
      id: "k".repeat(64),
      truncatedId: 1,
      threshold: 18,
      spki: new Uint8Array(32),
      publishAt: NOW,
      notBefore: NOW,
      issueUntil: NOW + 10,
      validUntil: NOW + 20,
      sealedPrivateKey: new Uint8Array(8),
      createdAt: NOW,
    };
    expect(await stores.keys.add(key)).toBe(true);
    expect(await stores.keys.add(key)).toBe(false);
    expect((await stores.keys.list()).find((k) => k.id === key.id)?.kind).toBe("credit");
    // a band key keeps its upper age; a threshold key has none
    const band: TokenKeyRecord = { ...key, kind: "token", id: "b".repeat(64), threshold: 13, ageBelow: 16 };
    expect(await stores.keys.add(band)).toBe(true);
    const listed = await stores.keys.list();
    expect(listed.find((k) => k.id === band.id)).toMatchObject({ threshold: 13, ageBelow: 16 });
    expect(listed.find((k) => k.id === key.id)).not.toHaveProperty("ageBelow");
  });

  it("key log: 12 concurrent appends make one unbroken chain", async () => {
    const entry = (i: number) => ({
      at: NOW,
      event: "created" as const,
      keyId: i.toString(16).padStart(64, "0"),
      threshold: 18,
      spki: "AA",
      notBefore: NOW,
      issueUntil: NOW + 1,
      validUntil: NOW + 2,
    });
    await Promise.all(Array.from({ length: 12 }, (_, i) => stores.keyLog.append(entry(i))));
    const log = await stores.keyLog.list(0, 100);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(await verifyKeyLog(log)).toBe(true);
  });
});
