import { spawn } from "node:child_process";
import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import {
  beginIssuance,
  encodeBatchRequest,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  TokenChallenge,
  toBase64Url,
} from "@blindgate/sdk/protocol";
import { exportGrantJwks, generateGrantKey, signGrant } from "@blindgate/sdk/provider";
import type { Context } from "aws-lambda";
import { createCheckHandler } from "../../functions/handlers/check.js";
import { createIssueHandler } from "../../functions/handlers/issue.js";
import type { HttpEvent } from "../../functions/http/index.js";
import { httpEvent } from "../../functions/local/adapter.js";
import { startLocalGateway } from "../../functions/local/gateway.js";
import { dynamoClient } from "../../functions/runtime.js";
import { dynamoStores, localTableNames } from "../../functions/stores/index.js";
import {
  check,
  currentKey,
  issue,
  makeGrant,
  registerProvider,
} from "../../tests/integration/gateway/client.js";
import { median, percentile, report } from "../harness.js";

/*
 * The gateway's two hot paths, each beside a baseline measured in the same run:
 * - a batch of 100 token requests through the issue handler in-process (grant check, single use, quota, 100
 *   blind signatures) vs 100 raw RSA-2048 private operations;
 * - checks over HTTP on localhost (32 at a time) against the local store vs the store's raw conditional-put rate
 *   with the same concurrency.
 */

const SUITE = "gateway";
process.env.BLINDGATE_QUIET = "1";

function issueEvent(body: Uint8Array, grant: string): HttpEvent {
  return httpEvent({
    method: "POST",
    path: "/token-request",
    headers: { "content-type": GENERIC_BATCH_REQUEST_MEDIA_TYPE, authorization: `Bearer ${grant}` },
    body,
  });
}

async function concurrently<T>(
  items: T[],
  concurrency: number,
  op: (item: T) => Promise<unknown>,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        const start = performance.now();
        await op(item);
        latencies.push(performance.now() - start);
      }
    }),
  );
  return latencies;
}

export default async function gatewaySuite(): Promise<void> {
  const gateway = await startLocalGateway({ wallet: false, thresholds: [18] });
  try {
    const provider = await registerProvider(gateway, "bench-provider", 1e9);
    const key18 = await currentKey(gateway, 18);
    const challenge = TokenChallenge.crossOrigin(gateway.issuerName).encode();

    // 1. Batch of 100 through the issue handler, in-process.
    const handler = createIssueHandler(gateway.deps);
    const begun = await Promise.all(
      Array.from({ length: 100 }, () => beginIssuance({ challenge, tokenKey: key18 })),
    );
    const batch = encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() })));
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const raw = Buffer.concat([Buffer.from([0]), randomBytes(255)]);
    const batchMs: number[] = [];
    const rawMs: number[] = [];
    for (let round = 0; round < 6; round++) {
      const grant = await makeGrant(gateway, provider, { max_tokens: 100 });
      let start = performance.now();
      const result = await handler(issueEvent(batch, grant), {} as Context);
      const ms = performance.now() - start;
      if (result.statusCode !== 200) throw new Error(`bench: issue answered ${result.statusCode}`);
      start = performance.now();
      for (let i = 0; i < 100; i++)
        privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, raw);
      const base = performance.now() - start;
      if (round > 0) {
        batchMs.push(ms); // round 0 warms the key ring (opens the sealed key once per container)
        rawMs.push(base);
      }
    }
    const b = median(batchMs);
    const r = median(rawMs);
    report({
      suite: SUITE,
      name: "issue handler, batch of 100 (in-process)",
      value: b,
      unit: "ms",
      baseline: { name: "100 raw RSA-2048 private ops", value: r, unit: "ms" },
      ratio: r / b,
    });

    // 2. The check handler in-process (no HTTP hop), beside raw conditional puts on the same store.
    const { apiKey } = await gateway.addSite("bench site");
    const check = createCheckHandler(gateway.deps);
    const tokens: string[] = [];
    while (tokens.length < 1200) {
      const grant = await makeGrant(gateway, provider, { max_tokens: 100 });
      const { tokens: got } = await issue(
        gateway,
        grant,
        Array.from({ length: 100 }, () => key18),
      );
      for (const t of got) if (t !== null) tokens.push(toBase64Url(t.encode()));
    }
    const checkEvent = (token: string): HttpEvent =>
      httpEvent({
        method: "POST",
        path: "/v1/check",
        headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
        body: new TextEncoder().encode(JSON.stringify({ token, minAge: 18 })),
      });
    const now = gateway.deps.now();
    const handlerRates: number[] = [];
    const putRates: number[] = [];
    for (let round = 0; round < 4; round++) {
      const slice = tokens.slice(round * 300, (round + 1) * 300);
      let start = performance.now();
      await concurrently(slice, 32, async (token) => {
        const result = await check(checkEvent(token), {} as Context);
        if (result.statusCode !== 200) throw new Error(`bench: check answered ${result.statusCode}`);
      });
      handlerRates.push((slice.length * 1000) / (performance.now() - start));
      const ids = Array.from({ length: 300 }, () => randomBytes(32).toString("hex"));
      start = performance.now();
      await concurrently(ids, 32, (id) => gateway.stores.spent.useOnce(id, now + 3600, now));
      putRates.push((ids.length * 1000) / (performance.now() - start));
    }
    report({
      suite: SUITE,
      name: "check handler in-process (no HTTP), 32 concurrent",
      value: median(handlerRates.slice(1)),
      unit: "checks/s",
      baseline: {
        name: "raw conditional puts, same store, 32 concurrent",
        value: median(putRates.slice(1)),
        unit: "puts/s",
      },
      ratio: median(handlerRates.slice(1)) / median(putRates.slice(1)),
      target: ">= 0.7x",
    });

    // 3. The same over HTTP, with the gateway and the store in processes of their own.
    await checkBench();
  } finally {
    await gateway.close();
  }
}

/**
 * Checks over HTTP against the gateway in a process of its own (so the load generator here does not share its
 * thread), beside conditional puts from here to the same store.
 */
async function checkBench(): Promise<void> {
  const key = await generateGrantKey({ kid: "bench-1" });
  // The store in a process of its own, like DynamoDB is a service of its own.
  const store = spawn(
    process.execPath,
    [
      "-e",
      `const d = require("dynalite")({ createTableMs: 0 }); d.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: d.address().port })));`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const { port } = JSON.parse(await firstLine(store)) as { port: number };
  const profile =
    process.env.BENCH_PROFILE_DIR === undefined
      ? []
      : ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`];
  const child = spawn(
    process.execPath,
    [...profile, "--import", "tsx", "--conditions=blindgate-source", "bench/gateway-server.ts"],
    {
      env: {
        ...process.env,
        BENCH_PROVIDER_JWKS: JSON.stringify(await exportGrantJwks(key)),
        BENCH_DYNAMO_ENDPOINT: `http://127.0.0.1:${port}`,
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  try {
    const line = await firstLine(child);
    const { url, dynamoEndpoint, apiKey } = JSON.parse(line) as {
      url: string;
      dynamoEndpoint: string;
      apiKey: string;
    };
    const remote = { url, issuerName: "localhost" };
    const key18 = await currentKey(remote, 18);
    const N = 1500;
    const tokens: Uint8Array[] = [];
    while (tokens.length < N) {
      const grant = await signGrant(key, {
        issuer: "localhost",
        providerId: "bench-provider",
        ageOver: 18,
        maxTokens: 100,
      });
      const { tokens: got } = await issue(
        remote,
        grant,
        Array.from({ length: 100 }, () => key18),
      );
      for (const t of got) if (t !== null) tokens.push(t.encode());
    }
    const client = dynamoClient(dynamoEndpoint);
    const spent = dynamoStores(client, localTableNames()).spent;
    const now = Math.floor(Date.now() / 1000);
    const puts = async (count: number) => {
      const ids = Array.from({ length: count }, () => randomBytes(32).toString("hex"));
      const start = performance.now();
      await concurrently(ids, 32, (id) => spent.useOnce(id, now + 3600, now));
      return (count * 1000) / (performance.now() - start);
    };
    // Alternate rounds (puts, checks, puts, checks, ...) so load drift hits both alike.
    const putRates: number[] = [];
    const checkRates: number[] = [];
    const latencies: number[] = [];
    const rounds = 3;
    const perRound = Math.floor(N / rounds);
    for (let r = 0; r < rounds; r++) {
      putRates.push(await puts(perRound));
      const slice = tokens.slice(r * perRound, (r + 1) * perRound);
      const start = performance.now();
      latencies.push(
        ...(await concurrently(slice, 32, async (token) => {
          const answer = await check(remote, apiKey, token, 18);
          if (answer.status !== 200) throw new Error(`bench: check answered ${answer.status}`);
        })),
      );
      checkRates.push((slice.length * 1000) / (performance.now() - start));
    }
    client.destroy();
    const checksPerSecond = median(checkRates);
    const putRate = median(putRates);
    report({
      suite: SUITE,
      name: "checks over HTTP, 32 concurrent (gateway in its own process)",
      value: checksPerSecond,
      unit: "checks/s",
      baseline: { name: "raw conditional puts, same store, 32 concurrent", value: putRate, unit: "puts/s" },
      ratio: checksPerSecond / putRate,
      target: ">= 0.7x",
    });
    report({
      suite: SUITE,
      name: "check latency p50 (32 concurrent)",
      value: percentile(latencies, 50),
      unit: "ms",
    });
    report({
      suite: SUITE,
      name: "check latency p99 (32 concurrent)",
      value: percentile(latencies, 99),
      unit: "ms",
    });
  } finally {
    child.kill("SIGTERM");
    store.kill("SIGTERM");
  }
}

function firstLine(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once("exit", (code) => reject(new Error(`bench: a helper process exited with ${code}`)));
  });
}
