import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BlindSigner } from "../../../functions/issuer/blind-signer.js";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { currentKey, issue, makeGrant, registerProvider, type TestProvider } from "./client.js";

/*
 * Issue 14: at most two sequential store round trips before signing. The gateway's DynamoDB traffic goes through
 * a recording proxy that keeps when each call started and ended; BlindSigner.sign is watched for the first
 * signature. Calls that overlap in time are one round trip (sent together); one that starts after the previous
 * ones ended is another. Counted on a cold container (every cache expired: provider, keys) and a warm one.
 */

interface Call {
  action: string;
  start: number;
  end: number;
}

const calls: Call[] = [];
let upstream: LocalGateway;
let gateway: LocalGateway;
let proxy: Server;
let provider: TestProvider;
let clock = Math.floor(Date.now() / 1000);

function startProxy(target: string): Promise<Server> {
  const server = createServer((req, res) => {
    const start = performance.now();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const action = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "?";
      const up = request(`${target}${req.url ?? "/"}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
        r.on("end", () => calls.push({ action, start, end: performance.now() }));
      });
      up.on("error", () => res.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** The store round trips made in sequence before the first signature, and the calls they hold. */
async function roundTripsBeforeSigning(
  work: () => Promise<void>,
): Promise<{ trips: number; actions: string[] }> {
  calls.length = 0;
  let signedAt = Number.POSITIVE_INFINITY;
  const original = BlindSigner.prototype.sign;
  const spy = vi.spyOn(BlindSigner.prototype, "sign").mockImplementation(function (this: BlindSigner, m) {
    signedAt = Math.min(signedAt, performance.now());
    return original.call(this, m);
  });
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  expect(signedAt).toBeLessThan(Number.POSITIVE_INFINITY);
  const before = calls.filter((c) => c.start < signedAt).sort((a, b) => a.start - b.start);
  let trips = 0;
  let groupEnd = Number.NEGATIVE_INFINITY;
  for (const call of before) {
    if (call.start >= groupEnd) trips++;
    groupEnd = Math.max(groupEnd, call.end);
  }
  return { trips, actions: before.map((c) => c.action) };
}

beforeAll(async () => {
  upstream = await startLocalGateway({ wallet: false });
  proxy = await startProxy(upstream.dynamoEndpoint);
  gateway = await startLocalGateway({
    wallet: false,
    thresholds: [18],
    dynamoEndpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    tablePrefix: "trips-",
    now: () => clock,
  });
  provider = await registerProvider(gateway, "trips-provider");
  // One issuance opens the signing key (KMS/the local vault, not the store), as any container does once.
  const key = await currentKey(gateway, 18);
  expect((await issue(gateway, await makeGrant(gateway, provider), [key])).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await upstream?.close();
});

describe("issue: store round trips in sequence before signing", () => {
  it("one on a cold container (provider and keys read together; the jti, quota and counts overlap the signing)", async () => {
    const key = await currentKey(gateway, 18);
    clock += 120; // past the provider cache (60 s) and the key table's (30 s)
    const grant = await makeGrant(gateway, provider, { max_tokens: 20 });
    const { trips, actions } = await roundTripsBeforeSigning(async () => {
      expect((await issue(gateway, grant, Array(20).fill(key))).status).toBe(200);
    });
    expect(actions).toContain("GetItem"); // the provider, read again
    expect(trips).toBeLessThanOrEqual(1);
  });

  it("none on a warm container: the spend's one round trip runs while the signatures are made", async () => {
    const key = await currentKey(gateway, 18);
    const grant = await makeGrant(gateway, provider, { max_tokens: 20 });
    const { trips } = await roundTripsBeforeSigning(async () => {
      expect((await issue(gateway, grant, Array(20).fill(key))).status).toBe(200);
    });
    expect(trips).toBe(0);
  });
});
