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
import { localTableNames } from "../../functions/stores/index.js";
import {
  DynamoDBClient as SlimDynamoClient,
  PutItemCommand as SlimPutItem,
} from "../../infra/constructs/lambda-dynamodb.js";
import { currentKey } from "../../tests/integration/gateway/client.js";
import { fmt, median, pairedDurations, pairedRounds, percentile, report } from "../harness.js";
import {
  type CpuUsage,
  concurrently,
  cpuSpent,
  type Helper,
  KeepAliveClient,
  runBundled,
  startDynaliteProcess,
  startGatewayProcess,
} from "../http-load.js";

/*
 * The gateway's hot paths, each beside a baseline measured in alternating rounds of the same run (warm-up rounds
 * left out), the store (dynalite) in a process of its own as DynamoDB is a service of its own:
 * - in-process figures, issue batches and checks: bench/gateway-inprocess.ts, run bundled as deployed;
 * - checks over HTTP (keep-alive node:http client, 32 connections) against the gateway in a process of its own,
 *   bundled as deployed (the slim AWS client), with the CPU per check of each process, vs raw conditional puts
 *   from here with the same client;
 * - a 20-token batch end to end over HTTP as the wallet does it (SDK batch API, POST, finalize).
 */

const SUITE = "gateway";
const CONCURRENCY = 32;
process.env.BLINDGATE_QUIET = "1";

export default async function gatewaySuite(): Promise<void> {
  const store = await startDynaliteProcess();
  try {
    // in a process of its own, bundled as deployed: the figures are those of the Lambda's code and AWS client
    await runBundled("bench/gateway-inprocess.ts", { BENCH_DYNAMO_ENDPOINT: store.info.endpoint });
    await overHttp(store);
  } finally {
    await store.stop();
  }
}

/**
 * Checks over HTTP against the gateway in a process of its own (so the load generator here does not share its
 * thread), beside conditional puts from here to the same store; then a wallet-sized issuance end to end.
 */
async function overHttp(store: Helper<{ endpoint: string }>): Promise<void> {
  const dynamoEndpoint = store.info.endpoint;
  const key = await generateGrantKey({ kid: "bench-1" });
  const gateway = await startGatewayProcess(await exportGrantJwks(key), dynamoEndpoint);
  const { url, apiKey } = gateway.info;
  const http = new KeepAliveClient(url, CONCURRENCY);
  const slim = new SlimDynamoClient({
    endpoint: dynamoEndpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
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
    const warmUp = 2; // a warm gateway process: its first rounds run while the JIT settles
    const tokens: string[] = [];
    while (tokens.length < perRound * (rounds + warmUp)) {
      for (const t of await issueOverHttp(100)) if (t !== null) tokens.push(toBase64Url(t.encode()));
    }
    // The baseline's puts are the spent set's own (stores/dynamo/once.ts), sent by the client the gateway runs on
    // Lambda (the slim one its bundle carries), from this process.
    const now = Math.floor(Date.now() / 1000);
    const spendOnce = (id: string) =>
      slim.send(
        new SlimPutItem({
          TableName: localTableNames().spent,
          Item: { pk: { S: id }, ttl: { N: String(now + 3600) } },
          ConditionExpression: "attribute_not_exists(pk) OR #ttl < :now",
          ExpressionAttributeNames: { "#ttl": "ttl" },
          ExpressionAttributeValues: { ":now": { N: String(now) } },
        }),
      );
    const latencies: number[] = [];
    // CPU per operation (µs) of each process, per round: where two cores go (see the note printed below)
    const cpu = { gateway: [] as number[], storePut: [] as number[], storeCheck: [] as number[] };
    const cpuHere = { put: [] as number[], check: [] as number[] };
    const r = await pairedRounds(
      rounds,
      async (round) => {
        const ids = Array.from({ length: perRound }, () => randomBytes(32).toString("hex"));
        const storeBefore = await store.ask<CpuUsage>("cpu");
        const hereBefore = process.cpuUsage();
        let start = performance.now();
        await concurrently(ids, CONCURRENCY, spendOnce);
        const baseline = (perRound * 1000) / (performance.now() - start);
        const hereBetween = process.cpuUsage();
        const storeBetween = await store.ask<CpuUsage>("cpu");
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
        const hereAfter = process.cpuUsage();
        const after = await gateway.ask<CpuUsage>("cpu");
        const storeAfter = await store.ask<CpuUsage>("cpu");
        if (round >= warmUp) {
          latencies.push(...l);
          cpu.gateway.push(cpuSpent(before, after) / perRound);
          cpu.storePut.push(cpuSpent(storeBefore, storeBetween) / perRound);
          cpu.storeCheck.push(cpuSpent(storeBetween, storeAfter) / perRound);
          cpuHere.put.push(cpuSpent(hereBefore, hereBetween) / perRound);
          cpuHere.check.push(cpuSpent(hereBetween, hereAfter) / perRound);
        }
        return { candidate, baseline };
      },
      warmUp,
    );
    const gatewayCpu = median(cpu.gateway);
    const [storePut, storeCheck, clientPut, clientCheck] = [
      median(cpu.storePut),
      median(cpu.storeCheck),
      median(cpuHere.put),
      median(cpuHere.check),
    ];
    // With every core busy, rate ~ cores / CPU per operation summed over the processes: a gateway costing nothing
    // would still leave the checks at (client + store per put) / (client + store per check) of the puts' rate.
    const ceiling = (clientPut + storePut) / (clientCheck + storeCheck);
    report({
      suite: SUITE,
      name: `checks over HTTP, ${CONCURRENCY} keep-alive connections (gateway in its own process)`,
      value: r.candidate,
      unit: "checks/s",
      baseline: {
        name: `raw conditional puts (the bundle's client), same store, ${CONCURRENCY} concurrent`,
        value: r.baseline,
        unit: "puts/s",
      },
      ratio: r.ratio,
      spread: r.spread,
      note:
        `CPU µs per check: gateway ${fmt(gatewayCpu)} (${fmt(1e6 / gatewayCpu)} checks per CPU-second), ` +
        `store ${fmt(storeCheck)}, load generator ${fmt(clientCheck)}; per put: store ${fmt(storePut)}, ` +
        `load generator ${fmt(clientPut)} (a free gateway would reach ${ceiling.toFixed(2)}x here)`,
      target: ">= 0.7x",
    });
    report({
      suite: SUITE,
      name: `check latency p50 / p99 (${CONCURRENCY} concurrent, warm-up rounds left out)`,
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
    slim.destroy();
    await gateway.stop();
  }
}
