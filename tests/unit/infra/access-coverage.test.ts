import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  beginCredential,
  beginIssuance,
  beginRefill,
  creditParams,
  encodeBatchRequest,
  finishCredential,
  fromBase64Url,
  parseDirectory,
  TokenChallenge,
  toBase64Url,
} from "@blindgate/sdk/protocol/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import type { TableNames } from "../../../functions/stores/index.js";
import { ACCESS } from "../../../infra/constructs/access.js";
import type { FunctionId } from "../../../infra/constructs/bundling.js";
import { check, currentKey, issue, makeGrant, registerProvider } from "../../integration/gateway/client.js";

/*
 * The IAM matrix of the stack (infra/constructs/access.ts) held against the code: each route runs its real
 * success path on the local gateway, whose DynamoDB traffic goes through a recording proxy, and the actions it
 * sends to each table must be exactly those the stack grants that function: one more and the function fails on
 * AWS (AccessDenied), one fewer and the role holds a permission nothing uses.
 * The clock moves a minute before each route, so each reads the keys table as a fresh container would.
 */

interface Call {
  action: string;
  table: string;
}

const calls: Call[] = [];
let upstream: LocalGateway;
let gateway: LocalGateway;
let proxy: Server;
let clock = Math.floor(Date.now() / 1000);
const recorded: Partial<Record<FunctionId, Record<string, string[]>>> = {};

function startProxy(target: string): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const action = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "?";
      let table = "?";
      try {
        table = String((JSON.parse(body.toString("utf8")) as { TableName?: string }).TableName ?? "?");
      } catch {
        // not JSON: recorded as "?"
      }
      calls.push({ action, table });
      const up = request(`${target}${req.url ?? "/"}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on("error", () => res.destroy());
      up.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** Run one function's work and keep what it sent, per table id, as `dynamodb:<Action>` lists. */
async function during(fn: FunctionId, work: () => Promise<void>): Promise<void> {
  clock += 60;
  calls.length = 0;
  await work();
  const names = gateway.config.tables as TableNames;
  const byName = new Map(Object.entries(names).map(([id, name]) => [name, id]));
  const out: Record<string, string[]> = {};
  for (const call of calls) {
    const id = byName.get(call.table) ?? `unknown:${call.table}`;
    const action = `dynamodb:${call.action}`;
    out[id] = [...new Set([...(out[id] ?? []), action])].sort();
  }
  recorded[fn] = out;
}

beforeAll(async () => {
  upstream = await startLocalGateway({ wallet: false });
  proxy = await startProxy(upstream.dynamoEndpoint);
  gateway = await startLocalGateway({
    wallet: false,
    dynamoEndpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    tablePrefix: "coverage-",
    now: () => clock,
    reportFlushMs: 0, // every request sends the report counts held: each function's counter write is recorded
  });
  const provider = await registerProvider(gateway, "coverage-provider");
  const { apiKey } = await gateway.addSite("coverage-site");

  await during("directory", async () => {
    expect((await fetch(`${gateway.url}/.well-known/private-token-issuer-directory`)).status).toBe(200);
  });
  await during("providers", async () => {
    expect((await fetch(`${gateway.url}/v1/providers`)).status).toBe(200);
  });
  await during("keyLog", async () => {
    expect((await fetch(`${gateway.url}/v1/key-log`)).status).toBe(200);
  });
  const key = await currentKey(gateway, 18);
  const grant = await makeGrant(gateway, provider);
  let token: Parameters<typeof check>[2] | undefined;
  let second: Parameters<typeof check>[2] | undefined;
  await during("issue", async () => {
    const result = await issue(gateway, grant, [key, key]);
    expect(result.status).toBe(200);
    token = result.tokens[0] ?? undefined;
    second = result.tokens[1] ?? undefined;
    // The same grant again, for another request: a replay (the jti's record is read back).
    expect((await issue(gateway, grant, [key])).status).toBe(401);
    // A refusal after the grant was checked gives back what it took: here the provider is suspended while the
    // issue function still has it cached, so the quota write refuses and the grant's jti is released.
    await gateway.stores.providers.setStatus(provider.id, "suspended");
    const refused = await issue(gateway, await makeGrant(gateway, provider), [key]);
    expect(refused.status).toBe(403);
  });
  expect(token).toBeDefined();
  await during("check", async () => {
    // Two checks: a container's counts leave with its next request (the second sends the first's count).
    for (const t of [token, second]) {
      const answer = await check(gateway, apiKey, t as NonNullable<typeof token>, 18);
      expect(answer.json).toMatchObject({ valid: true, ageOver: 18 });
    }
  });
  // A credential for a grant, then a refill spending one credit (and the same refill again: answered from the
  // nullifier's record).
  const creditProvider = await registerProvider(gateway, "coverage-credit");
  const params = creditParams(gateway.issuerName);
  const started = beginCredential(params);
  let credential: { creditKeyId: string; credit: string } | undefined;
  clock += 31; // past the key cache's refresh: the function reads the keys table as a cold one would
  await during("credential", async () => {
    const creditGrant = await makeGrant(gateway, creditProvider, { max_tokens: 100 });
    const post = (request: Uint8Array) =>
      fetch(`${gateway.url}/v1/credential`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${creditGrant}` },
        body: JSON.stringify({ credit: toBase64Url(request) }),
      });
    const res = await post(started.request);
    expect(res.status).toBe(200);
    credential = (await res.json()) as { creditKeyId: string; credit: string };
    // the same grant for another request: a replay (the jti's record is read back)
    expect((await post(beginCredential(params).request)).status).toBe(401);
    // refused after the grant was checked (provider suspended while cached): the jti is given back
    await gateway.stores.providers.setStatus(creditProvider.id, "suspended");
    const refused = await fetch(`${gateway.url}/v1/credential`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${await makeGrant(gateway, creditProvider, { max_tokens: 100 })}`,
      },
      body: JSON.stringify({ credit: toBase64Url(beginCredential(params).request) }),
    });
    expect(refused.status).toBe(403);
  });
  const dir = parseDirectory(
    await (await fetch(`${gateway.url}/.well-known/private-token-issuer-directory`)).json(),
  );
  const actKey = dir.creditKeys!.find((k) => k.ageOver === 18 && k.notBefore <= clock)!.actKey;
  const cred = finishCredential(params, actKey, started.state, fromBase64Url(credential!.credit));
  const { request } = await beginIssuance({
    challenge: TokenChallenge.crossOrigin(gateway.issuerName).encode(),
    tokenKey: key,
  });
  const refillBody = JSON.stringify({
    creditKeyId: credential!.creditKeyId,
    proof: toBase64Url(beginRefill(params, cred, 1).proof),
    tokens: toBase64Url(encodeBatchRequest([{ tokenType: 2, request: request.encode() }])),
  });
  await during("refill", async () => {
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${gateway.url}/v1/refill`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: refillBody,
      });
      expect(res.status).toBe(200);
    }
  });
  await during("report", async () => {
    // The first request creates and announces the report key; a day later, the first request for the closed day
    // seals it (counters, providers' quotas, the key log) and signs it.
    const day = new Date(clock * 1000).toISOString().slice(0, 10);
    expect((await fetch(`${gateway.url}/v1/report?day=${day}`)).status).toBe(404);
    clock += 86_400;
    expect((await fetch(`${gateway.url}/v1/report?day=${day}`)).status).toBe(200);
  });
  // Two weeks and a day later: the first keys have expired (removed), new ones are due (created, logged). Two keys
  // of one threshold overlap, as two rotations on skewed clocks leave them: the rotation retires the later one.
  clock += 15 * 86_400;
  const model = (await gateway.stores.keys.list()).find((k) => k.kind === "token")!;
  for (const [id, start] of [
    ["a".repeat(64), clock - 20],
    ["b".repeat(64), clock - 10],
  ] as const) {
    const window = { publishAt: start, notBefore: start, issueUntil: start + 3600, validUntil: start + 7200 };
    expect(await gateway.stores.keys.add({ ...model, id, threshold: 21, ...window })).toBe(true);
  }
  await during("rotateKeys", async () => {
    const report = await gateway.rotate();
    expect(report.created.length).toBeGreaterThan(0);
    expect(report.removed.length).toBeGreaterThan(0);
    expect(report.logged.length).toBeGreaterThan(0);
    expect(report.healed).toEqual(["b".repeat(64)]);
  });
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await upstream?.close();
});

describe("the stack's DynamoDB grants match what each function's code sends", () => {
  it.each(Object.keys(ACCESS) as FunctionId[])("%s", (fn) => {
    const granted = Object.fromEntries(
      Object.entries(ACCESS[fn].tables).map(([table, actions]) => [table, [...actions].sort()]),
    );
    expect(recorded[fn]).toEqual(granted);
  });
});
