import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import {
  beginIssuanceBatch,
  decodeBatchResponse,
  encodeBatchRequest,
  finishIssuanceBatch,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  TokenChallenge,
  TokenResponse,
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
import { currentKey, makeGrant, registerProvider } from "../../tests/integration/gateway/client.js";
import { fmt, pairedDurations, pairedRounds, percentile, report } from "../harness.js";
import {
  type CpuUsage,
  concurrently,
  cpuSpent,
  KeepAliveClient,
  startDynaliteProcess,
  startGatewayProcess,
} from "../http-load.js";

/*
 * The gateway's hot paths, each beside a baseline measured in alternating rounds of the same run (the first round
 * a warm-up left out), the store (dynalite) in a process of its own as DynamoDB is a service of its own:
 * - the issue handler in-process, batches of 20 and 100 (grant check, single use and quota, signatures) vs 20 / 100
 *   raw RSA-2048 private operations (issue 14: >= 0.5x and >= 0.85x);
 * - the check handler in-process (no HTTP) vs raw conditional puts on the same store;
 * - checks over HTTP (keep-alive node:http client, 32 connections) against the gateway in a process of its own,
 *   with the gateway's CPU per check read from its process.cpuUsage, vs raw conditional puts from here;
 * - a 20-token batch end to end over HTTP as the wallet does it (SDK batch API, POST, finalize).
 */

const SUITE = "gateway";
const CONCURRENCY = 32;
process.env.BLINDGATE_QUIET = "1";

function issueEvent(body: Uint8Array, grant: string): HttpEvent {
  return httpEvent({
    method: "POST",
    path: "/token-request",
    headers: { "content-type": GENERIC_BATCH_REQUEST_MEDIA_TYPE, authorization: `Bearer ${grant}` },
    body,
  });
}

export default async function gatewaySuite(): Promise<void> {
  const store = await startDynaliteProcess();
  try {
    await inProcess(store.info.endpoint);
    await overHttp(store.info.endpoint);
  } finally {
    await store.stop();
  }
}

async function inProcess(dynamoEndpoint: string): Promise<void> {
  const gateway = await startLocalGateway({
    wallet: false,
    thresholds: [18],
    dynamoEndpoint,
    tablePrefix: "inproc-",
  });
  try {
    const provider = await registerProvider(gateway, "bench-provider", 1e9);
    const key18 = await currentKey(gateway, 18);
    const challenge = TokenChallenge.crossOrigin(gateway.issuerName).encode();
    const handler = createIssueHandler(gateway.deps);
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const raw = Buffer.concat([Buffer.from([0]), randomBytes(255)]);

    // 1. Batches of 20 and 100 through the issue handler, each round beside as many raw private operations.
    for (const [size, target] of [
      [20, ">= 0.5x"],
      [100, ">= 0.85x"],
    ] as const) {
      const begun = await beginIssuanceBatch({ challenge, tokenKeys: Array(size).fill(key18) });
      const batch = encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() })));
      const r = await pairedDurations(size === 20 ? 15 : 7, async () => {
        const grant = await makeGrant(gateway, provider, { max_tokens: size });
        let start = performance.now();
        const result = await handler(issueEvent(batch, grant), {} as Context);
        const candidate = performance.now() - start;
        if (result.statusCode !== 200) throw new Error(`bench: issue answered ${result.statusCode}`);
        start = performance.now();
        for (let i = 0; i < size; i++)
          privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, raw);
        return { candidate, baseline: performance.now() - start };
      });
      report({
        suite: SUITE,
        name: `issue handler, batch of ${size} (in-process, store in its own process)`,
        value: r.candidate,
        unit: "ms",
        baseline: { name: `${size} raw RSA-2048 private ops`, value: r.baseline, unit: "ms" },
        ratio: r.ratio,
        spread: r.spread,
        target,
      });
    }

    // 2. The check handler in-process (no HTTP hop), beside raw conditional puts on the same store.
    const { apiKey } = await gateway.addSite("bench site");
    const check = createCheckHandler(gateway.deps);
    const perRound = 300;
    const rounds = 4;
    const tokens: string[] = [];
    while (tokens.length < perRound * (rounds + 1)) {
      const grant = await makeGrant(gateway, provider, { max_tokens: 100 });
      const begun = await beginIssuanceBatch({ challenge, tokenKeys: Array(100).fill(key18) });
      const body = encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() })));
      const result = await handler(issueEvent(body, grant), {} as Context);
      const items = decodeBatchResponse(new Uint8Array(Buffer.from(result.body ?? "", "base64")));
      const got = await finishIssuanceBatch(
        begun.map((b) => b.pending),
        items.map((item) => (item === null ? null : TokenResponse.decode(item.response))),
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
    const r = await pairedRounds(rounds, async (round) => {
      const slice = tokens.slice(round * perRound, (round + 1) * perRound);
      let start = performance.now();
      await concurrently(slice, CONCURRENCY, async (token) => {
        const result = await check(checkEvent(token), {} as Context);
        if (result.statusCode !== 200) throw new Error(`bench: check answered ${result.statusCode}`);
      });
      const candidate = (slice.length * 1000) / (performance.now() - start);
      const ids = Array.from({ length: perRound }, () => randomBytes(32).toString("hex"));
      start = performance.now();
      await concurrently(ids, CONCURRENCY, (id) => gateway.stores.spent.useOnce(id, now + 3600, now));
      return { candidate, baseline: (ids.length * 1000) / (performance.now() - start) };
    });
    report({
      suite: SUITE,
      name: `check handler in-process (no HTTP), ${CONCURRENCY} concurrent`,
      value: r.candidate,
      unit: "checks/s",
      baseline: {
        name: `raw conditional puts, same store, ${CONCURRENCY} concurrent`,
        value: r.baseline,
        unit: "puts/s",
      },
      ratio: r.ratio,
      spread: r.spread,
      target: ">= 0.7x",
    });
  } finally {
    await gateway.close();
  }
}

/**
 * Checks over HTTP against the gateway in a process of its own (so the load generator here does not share its
 * thread), beside conditional puts from here to the same store; then a wallet-sized issuance end to end.
 */
async function overHttp(dynamoEndpoint: string): Promise<void> {
  const key = await generateGrantKey({ kid: "bench-1" });
  const gateway = await startGatewayProcess(await exportGrantJwks(key), dynamoEndpoint);
  const { url, apiKey } = gateway.info;
  const http = new KeepAliveClient(url, CONCURRENCY);
  const client = dynamoClient(dynamoEndpoint);
  try {
    const remote = { url, issuerName: "localhost" };
    const key18 = await currentKey(remote, 18);
    const challenge = TokenChallenge.crossOrigin("localhost").encode();
    const grant = (maxTokens: number) =>
      signGrant(key, { issuer: "localhost", providerId: "bench-provider", ageOver: 18, maxTokens });
    const issueOverHttp = async (count: number) => {
      const begun = await beginIssuanceBatch({ challenge, tokenKeys: Array(count).fill(key18) });
      const body = encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() })));
      const answer = await http.post("/token-request", body, {
        "content-type": GENERIC_BATCH_REQUEST_MEDIA_TYPE,
        authorization: `Bearer ${await grant(count)}`,
      });
      if (answer.status !== 200) throw new Error(`bench: issue answered ${answer.status}`);
      const items = decodeBatchResponse(new Uint8Array(answer.body));
      return finishIssuanceBatch(
        begun.map((b) => b.pending),
        items.map((item) => (item === null ? null : TokenResponse.decode(item.response))),
      );
    };

    // 3. Checks over HTTP, rounds of (puts, checks); the gateway's CPU read around each round of checks.
    const perRound = 400;
    const rounds = 5;
    const tokens: string[] = [];
    while (tokens.length < perRound * (rounds + 1)) {
      for (const t of await issueOverHttp(100)) if (t !== null) tokens.push(toBase64Url(t.encode()));
    }
    const spent = dynamoStores(client, localTableNames()).spent;
    const now = Math.floor(Date.now() / 1000);
    const latencies: number[] = [];
    const cpuPerCheck: number[] = [];
    const r = await pairedRounds(rounds, async (round) => {
      const ids = Array.from({ length: perRound }, () => randomBytes(32).toString("hex"));
      let start = performance.now();
      await concurrently(ids, CONCURRENCY, (id) => spent.useOnce(id, now + 3600, now));
      const baseline = (perRound * 1000) / (performance.now() - start);
      const slice = tokens.slice(round * perRound, (round + 1) * perRound);
      const before = await gateway.ask<CpuUsage>("cpu");
      start = performance.now();
      const l = await concurrently(slice, CONCURRENCY, async (token) => {
        const answer = await http.post("/v1/check", JSON.stringify({ token, minAge: 18 }), {
          "content-type": "application/json",
          authorization: `Bearer ${apiKey}`,
        });
        if (answer.status !== 200) throw new Error(`bench: check answered ${answer.status}`);
      });
      const candidate = (perRound * 1000) / (performance.now() - start);
      const after = await gateway.ask<CpuUsage>("cpu");
      if (round > 0) {
        latencies.push(...l);
        cpuPerCheck.push(cpuSpent(before, after) / perRound);
      }
      return { candidate, baseline };
    });
    const cpu = cpuPerCheck.sort((a, b) => a - b)[cpuPerCheck.length >> 1]!;
    report({
      suite: SUITE,
      name: `checks over HTTP, ${CONCURRENCY} keep-alive connections (gateway in its own process)`,
      value: r.candidate,
      unit: "checks/s",
      baseline: {
        name: `raw conditional puts, same store, ${CONCURRENCY} concurrent`,
        value: r.baseline,
        unit: "puts/s",
      },
      ratio: r.ratio,
      spread: r.spread,
      note: `gateway CPU ${fmt(cpu)} µs/check (${fmt(1e6 / cpu)} checks per CPU-second)`,
      target: ">= 0.7x",
    });
    report({
      suite: SUITE,
      name: `check latency p50 / p99 (${CONCURRENCY} concurrent, warm-up round left out)`,
      value: percentile(latencies, 50),
      unit: `ms / ${fmt(percentile(latencies, 99))} ms`,
    });

    // 4. The wallet's 20-token batch end to end over HTTP (blind, POST with a grant, finalize), beside 20 raw
    //    private operations (the gateway's share of the floor).
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const raw = Buffer.concat([Buffer.from([0]), randomBytes(255)]);
    const e2e = await pairedDurations(9, async () => {
      let start = performance.now();
      await issueOverHttp(20);
      const candidate = performance.now() - start;
      start = performance.now();
      for (let i = 0; i < 20; i++)
        privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, raw);
      return { candidate, baseline: performance.now() - start };
    });
    report({
      suite: SUITE,
      name: "20-token batch end to end over HTTP (SDK batch API: blind, POST, finalize)",
      value: e2e.candidate,
      unit: "ms",
      baseline: { name: "20 raw RSA-2048 private ops", value: e2e.baseline, unit: "ms" },
      ratio: e2e.ratio,
      spread: e2e.spread,
      target: "<= 40 ms",
    });
  } finally {
    http.close();
    client.destroy();
    await gateway.stop();
  }
}
