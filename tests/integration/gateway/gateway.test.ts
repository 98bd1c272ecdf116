import { generateKeyPairSync } from "node:crypto";
import { ScanCommand } from "@blindgate/aws-json/dynamodb";
import { toHex, tokenKeyId, toPssSpki, truncatedTokenKeyId } from "@blindgate/sdk/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { dynamoClient } from "../../../functions/runtime.js";
import { type DynamoServer, dynamoServers } from "../../support/dynamo.js";
import {
  check,
  currentKey,
  directory,
  errorCode,
  issue,
  makeGrant,
  registerProvider,
  type TestProvider,
} from "./client.js";

/*
 * The gateway end to end over HTTP (the local server runs the Lambda handler modules), on both real
 * DynamoDB-compatible servers: Amazon's DynamoDB Local (Java) and dynalite.
 */

describe.each(dynamoServers)("gateway on $kind", ({ start }) => {
  let server: DynamoServer;
  let gateway: LocalGateway;
  let provider: TestProvider;
  let apiKey: string;

  beforeAll(async () => {
    server = await start();
    gateway = await startLocalGateway({ dynamoEndpoint: server.endpoint, wallet: false });
    provider = await registerProvider(gateway, "prov-a");
    apiKey = (await gateway.addSite("Site A")).apiKey;
  });
  afterAll(async () => {
    await gateway?.close();
    await server?.stop();
  });

  it("publishes two keys per age interval (thresholds first, then bands), each marked with its interval", async () => {
    const keys = await directory(gateway);
    for (const t of [13, 15, 16, 18, 21]) {
      expect(keys.filter((k) => k.ageOver === t && k.ageBelow === undefined)).toHaveLength(2);
    }
    for (const [from, below] of [
      [13, 16],
      [13, 18],
      [16, 18],
    ]) {
      expect(keys.filter((k) => k.ageOver === from && k.ageBelow === below)).toHaveLength(2);
    }
    expect(keys).toHaveLength(16);
    // a plain RFC 9578 client takes the first usable key: a threshold, never a band it was not asked for
    expect(keys.slice(0, 10).every((k) => k.ageBelow === undefined)).toBe(true);
    const res = await fetch(`${gateway.url}/.well-known/private-token-issuer-directory`);
    expect(res.headers.get("content-type")).toBe("application/private-token-issuer-directory");
    expect(res.headers.get("cache-control")).toMatch(/max-age=\d+/);
    const etag = res.headers.get("etag");
    expect(etag).toBeTruthy();
    const again = await fetch(`${gateway.url}/.well-known/private-token-issuer-directory`, {
      headers: { "if-none-match": etag as string },
    });
    expect(again.status).toBe(304);
  });

  it("issues a batch for a grant, and a site's check accepts each token once", async () => {
    const k18 = await currentKey(gateway, 18);
    const k13 = await currentKey(gateway, 13);
    const grant = await makeGrant(gateway, provider, { age_over: 18, max_tokens: 3 });
    const { status, tokens } = await issue(gateway, grant, [k18, k18, k13]);
    expect(status).toBe(200);
    expect(tokens.every((t) => t !== null)).toBe(true);
    const [a, b, c] = tokens as NonNullable<(typeof tokens)[number]>[];

    const first = await check(gateway, apiKey, a!, 18);
    expect(first).toMatchObject({ status: 200, json: { valid: true, ageOver: 18 } });
    expect(Object.keys(first.json).sort()).toEqual(["ageOver", "issuer", "keyExpiresAt", "valid"]);
    expect(await check(gateway, apiKey, a!, 18)).toMatchObject({
      status: 409,
      json: { error: { code: "ERR_TOKEN_SPENT" } },
    });
    // an 18 token passes a 13 gate; a 13 token does not pass an 18 gate
    expect((await check(gateway, apiKey, b!, 13)).json.ageOver).toBe(18);
    expect(await check(gateway, apiKey, c!, 18)).toMatchObject({
      status: 422,
      json: { error: { code: "ERR_TOKEN_BELOW_AGE" } },
    });
    // the refused check did not spend it
    expect(await check(gateway, apiKey, c!, 13)).toMatchObject({ status: 200, json: { ageOver: 13 } });
  });

  it("answers a batch with an unknown key id with 206 and a null entry, signing the rest", async () => {
    const k18 = await currentKey(gateway, 18);
    const liveIds = new Set(
      await Promise.all(
        (await directory(gateway)).map(async (k) => truncatedTokenKeyId(await tokenKeyId(k.tokenKey))),
      ),
    );
    // a key the gateway does not have, whose truncated id matches none of its keys
    let stranger: Uint8Array;
    do {
      const der = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({
        type: "spki",
        format: "der",
      });
      stranger = toPssSpki(new Uint8Array(der));
    } while (liveIds.has(truncatedTokenKeyId(await tokenKeyId(stranger))));
    const grant = await makeGrant(gateway, provider, { max_tokens: 3 });
    const result = await issue(gateway, grant, [k18, stranger, k18]);
    expect(result.status).toBe(206);
    expect(result.tokens.map((t) => t === null)).toEqual([false, true, false]);
  });

  it("50 concurrent checks of one token: exactly one accepted, 49 refused as spent", async () => {
    const grant = await makeGrant(gateway, provider, { max_tokens: 1 });
    const { tokens } = await issue(gateway, grant, [await currentKey(gateway, 18)]);
    const token = tokens[0]!;
    const answers = await Promise.all(Array.from({ length: 50 }, () => check(gateway, apiKey, token, 18)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    const refused = answers.filter((a) => a.status !== 200);
    expect(refused).toHaveLength(49);
    expect(new Set(refused.map((a) => `${a.status} ${a.json.error?.code}`))).toEqual(
      new Set(["409 ERR_TOKEN_SPENT"]),
    );
  });

  it("refuses every bad grant with its own code and issues nothing", async () => {
    const k18 = await currentKey(gateway, 18);
    const k21 = await currentKey(gateway, 21);
    const suspended = await registerProvider(gateway, "prov-suspended");
    await gateway.stores.providers.setStatus("prov-suspended", "suspended");
    const tight = await registerProvider(gateway, "prov-tight", 2);
    const stranger = await registerProvider(gateway, "prov-stranger");
    const now = gateway.deps.now();
    const replayed = await makeGrant(gateway, provider);
    expect((await issue(gateway, replayed, [k18])).status).toBe(200);

    const cases: [string, string | undefined, Uint8Array[], number, string][] = [
      ["no grant", undefined, [k18], 401, "ERR_GRANT_MISSING"],
      ["garbage", "not.a.jwt", [k18], 401, "ERR_GRANT_MALFORMED"],
      ["replayed", replayed, [k18], 401, "ERR_GRANT_REPLAYED"],
      [
        "expired",
        await makeGrant(gateway, provider, { iat: now - 400, exp: now - 100 }),
        [k18],
        401,
        "ERR_GRANT_EXPIRED",
      ],
      [
        "wrong audience",
        await makeGrant(gateway, provider, { aud: "other.example" }),
        [k18],
        401,
        "ERR_GRANT_AUDIENCE",
      ],
      [
        "unknown provider",
        await makeGrant(gateway, { ...provider, id: "nobody" }),
        [k18],
        403,
        "ERR_PROVIDER_UNKNOWN",
      ],
      ["suspended provider", await makeGrant(gateway, suspended), [k18], 403, "ERR_PROVIDER_SUSPENDED"],
      [
        "over quota",
        await makeGrant(gateway, tight, { max_tokens: 3 }),
        [k18, k18, k18],
        403,
        "ERR_PROVIDER_QUOTA",
      ],
      [
        "extra claim (birth date)",
        await makeGrant(gateway, provider, { birthdate: "2001-02-03" }),
        [k18],
        401,
        "ERR_GRANT_CLAIMS",
      ],
      [
        "extra claim (subject)",
        await makeGrant(gateway, provider, { sub: "person-42" }),
        [k18],
        401,
        "ERR_GRANT_CLAIMS",
      ],
      [
        "extra claim (site)",
        await makeGrant(gateway, provider, { site: "example.com" }),
        [k18],
        401,
        "ERR_GRANT_CLAIMS",
      ],
      [
        "missing claim",
        await makeGrant(gateway, provider, { max_tokens: undefined }),
        [k18],
        401,
        "ERR_GRANT_CLAIMS",
      ],
      [
        "threshold above the grant",
        await makeGrant(gateway, provider, { age_over: 18 }),
        [k18, k21],
        403,
        "ERR_GRANT_THRESHOLD",
      ],
      [
        "too many tokens",
        await makeGrant(gateway, provider, { max_tokens: 2 }),
        [k18, k18, k18],
        403,
        "ERR_GRANT_TOO_MANY",
      ],
      [
        "too long lived",
        await makeGrant(gateway, provider, { exp: now + 3600 }),
        [k18],
        401,
        "ERR_GRANT_LIFETIME",
      ],
      [
        "signed by another key",
        await makeGrant(gateway, provider, {}, stranger.key.privateKey),
        [k18],
        401,
        "ERR_GRANT_SIGNATURE",
      ],
    ];
    for (const [name, grant, keys, status, code] of cases) {
      const result = await issue(gateway, grant, keys);
      expect({ name, status: result.status, code: errorCode(result.body) }).toEqual({ name, status, code });
      expect(result.tokens).toEqual([]);
    }
    // the refused over-quota request counted nothing
    expect(
      await gateway.stores.providers.usage("prov-tight", new Date(now * 1000).toISOString().slice(0, 7)),
    ).toBe(0);
  });

  it("stores no token bytes, no grant, no address and no site in the single-use tables", async () => {
    const grant = await makeGrant(gateway, provider, { max_tokens: 2 });
    const { tokens } = await issue(gateway, grant, [
      await currentKey(gateway, 18),
      await currentKey(gateway, 18),
    ]);
    for (const t of tokens) expect((await check(gateway, apiKey, t!, 18)).status).toBe(200);
    const client = dynamoClient(server.endpoint);
    const forbidden = [
      grant,
      ...tokens.flatMap((t) => [toHex(t!.nonce), toHex(t!.authenticator), toHex(t!.encode())]),
      "127.0.0.1",
      "site-",
      "Site A",
    ];
    for (const table of [gateway.config.tables.spent, gateway.config.tables.grants]) {
      const items = (await client.send(new ScanCommand({ TableName: table }))).Items ?? [];
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) {
        // a grant's jti keeps the SHA-256 of the request it paid for (32 bytes: a retry is served again); a spent
        // token and a lease keep nothing but their id, status and expiry
        if (table === gateway.config.tables.grants && item.requestHash !== undefined) {
          expect(Object.keys(item).sort()).toEqual(["pk", "requestHash", "status", "ttl"]);
          expect(item.requestHash.B?.length).toBe(32);
          expect(item.status?.S).toBe("used");
        } else {
          expect(Object.keys(item).sort()).toEqual(["pk", "status", "ttl"]);
          expect(item.status?.S).toBe(table === gateway.config.tables.spent ? "used" : "leased");
        }
        const text = JSON.stringify(item);
        for (const f of forbidden) expect(text).not.toContain(f);
      }
    }
    client.destroy();
  });
});
