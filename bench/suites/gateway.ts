import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { DynamoDBClient, PutItemCommand } from "@blindgate/aws-json/dynamodb";
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
import { currentKey } from "../../tests/integration/gateway/client.js";
import { fmt, median, pairedDurations, percentile, report, spreadOf } from "../harness.js";
import {
  type CpuUsage,
  concurrently,
  cpuSpent,
  type Helper,
  KeepAliveClient,
  runBundled,
  startDynaliteProcess,
  startGatewayProcess,
  startRelayProcess,
} from "../http-load.js";

/*
 * The gateway's hot paths, each beside a baseline measured in alternating rounds of the same run (warm-up rounds
 * left out), the store (dynalite) in a process of its own as DynamoDB is a service of its own:
 * - in-process figures, issue batches and checks: bench/gateway-inprocess.ts, run bundled as deployed;
 * - checks over HTTP (keep-alive node:http client, 32 connections) against the gateway in a process of its own,
 *   bundled as deployed (@blindgate/aws-json), with the CPU per check of each process, vs raw conditional puts
 *   from here with the same client, and vs the same puts relayed by a bare node:http server (bench/relay-server.ts):
 *   on two cores shared by load generator, gateway and store, the first comparison is bounded by the HTTP hop
 *   itself (the "free gateway" ceiling it prints), the second measures what the gateway adds to that hop;
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
  const relay = await startRelayProcess(dynamoEndpoint, localTableNames().spent);
  const { url, apiKey } = gateway.info;
  const http = new KeepAliveClient(url, CONCURRENCY);
  const putClient = new DynamoDBClient({
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

    // 3. Checks over HTTP, rounds of (raw puts, relayed puts, checks), each process's CPU read around each phase.
    const perRound = 400;
    const rounds = 5;
    // A warm gateway process: its CPU per check falls from ~1.4 ms to ~0.4 ms over its first ~4,000 checks while
    // the JIT settles (measured round by round); the first round is reported on a line of its own.
    const warmUp = 8;
    const tokens: string[] = [];
    while (tokens.length < perRound * (rounds + warmUp)) {
      for (const t of await issueOverHttp(100)) if (t !== null) tokens.push(toBase64Url(t.encode()));
    }
    // The baseline's puts are the spent set's own (stores/dynamo/once.ts), sent by the client the gateway runs on
    // Lambda (@blindgate/aws-json), from this process.
    const now = Math.floor(Date.now() / 1000);
    const spendOnce = (id: string) =>
      putClient.send(
        new PutItemCommand({
          TableName: localTableNames().spent,
          Item: { pk: { S: id }, ttl: { N: String(now + 3600) } },
          ConditionExpression: "attribute_not_exists(pk) OR #ttl < :now",
          ExpressionAttributeNames: { "#ttl": "ttl" },
          ExpressionAttributeValues: { ":now": { N: String(now) } },
        }),
      );
    const relayed = new KeepAliveClient(relay.info.url, CONCURRENCY);
    const servers = { store, gateway, relay } as const;
    /** Runs one phase; its rate (per s) and the CPU (µs per operation) of this process and of each server. */
    const phase = async <T>(items: readonly T[], op: (item: T) => Promise<unknown>) => {
      const before = await Promise.all(Object.values(servers).map((h) => h.ask<CpuUsage>("cpu")));
      const here = process.cpuUsage();
      const start = performance.now();
      const latencies = await concurrently(items, CONCURRENCY, op);
      const rate = (items.length * 1000) / (performance.now() - start);
      const hereCpu = cpuSpent(here, process.cpuUsage()) / items.length;
      const after = await Promise.all(Object.values(servers).map((h) => h.ask<CpuUsage>("cpu")));
      const [storeCpu, gatewayCpu, relayCpu] = after.map((a, i) => cpuSpent(before[i]!, a) / items.length);
      return {
        rate,
        latencies,
        cpu: { here: hereCpu, store: storeCpu!, gateway: gatewayCpu!, relay: relayCpu! },
      };
    };
    type Phase = Awaited<ReturnType<typeof phase>>;
    const measured: { puts: Phase; relay: Phase; checks: Phase }[] = [];
    let first: { puts: Phase; relay: Phase; checks: Phase } | undefined;
    for (let round = 0; round < rounds + warmUp; round++) {
      const ids = () => Array.from({ length: perRound }, () => randomBytes(32).toString("hex"));
      const puts = await phase(ids(), spendOnce);
      const relay = await phase(ids(), async (id) => {
        const answer = await relayed.post("/", id, { "content-type": "text/plain" });
        if (answer.status !== 200) throw new Error(`bench: the relay answered ${answer.status}`);
      });
      const checks = await phase(tokens.slice(round * perRound, (round + 1) * perRound), async (token) => {
        const answer = await http.post("/v1/check", JSON.stringify({ token, minAge: 18 }), {
          "content-type": "application/json",
          authorization: `Bearer ${apiKey}`,
        });
        if (answer.status !== 200) throw new Error(`bench: check answered ${answer.status}`);
      });
      if (round === 0) first = { puts, relay, checks };
      if (round >= warmUp) measured.push({ puts, relay, checks });
    }
    relayed.close();
    const med = (f: (r: (typeof measured)[number]) => number) => median(measured.map(f));
    const ratios = (f: (r: (typeof measured)[number]) => number) => measured.map(f);
    const cpu = {
      gateway: med((r) => r.checks.cpu.gateway),
      storeCheck: med((r) => r.checks.cpu.store),
      clientCheck: med((r) => r.checks.cpu.here),
      storePut: med((r) => r.puts.cpu.store),
      clientPut: med((r) => r.puts.cpu.here),
      relay: med((r) => r.relay.cpu.relay),
    };
    // With every core busy, rate ~ cores / CPU per operation summed over the processes: a gateway costing nothing
    // would still leave the checks at (client + store per put) / (client + store per check) of the puts' rate.
    const ceiling = (cpu.clientPut + cpu.storePut) / (cpu.clientCheck + cpu.storeCheck);
    const checkVsPut = ratios((r) => r.checks.rate / r.puts.rate);
    report({
      suite: SUITE,
      name: `checks over HTTP, ${CONCURRENCY} keep-alive connections (gateway in its own process)`,
      value: med((r) => r.checks.rate),
      unit: "checks/s",
      baseline: {
        name: `raw conditional puts (the bundle's client), same store, ${CONCURRENCY} concurrent`,
        value: med((r) => r.puts.rate),
        unit: "puts/s",
      },
      ratio: median(checkVsPut),
      spread: spreadOf(checkVsPut),
      note:
        `CPU µs per check: gateway ${fmt(cpu.gateway)} (${fmt(1e6 / cpu.gateway)} checks per CPU-second), ` +
        `store ${fmt(cpu.storeCheck)}, load generator ${fmt(cpu.clientCheck)}; per put: store ${fmt(cpu.storePut)}, ` +
        `load generator ${fmt(cpu.clientPut)} (a free gateway would reach ${ceiling.toFixed(2)}x here; ` +
        `the bare relay below costs ${fmt(cpu.relay)} µs per put)`,
      target: ">= 0.7x",
    });
    const checkVsRelay = ratios((r) => r.checks.rate / r.relay.rate);
    report({
      suite: SUITE,
      name: "checks over HTTP vs the least an HTTP gateway does (bench/relay-server.ts: node:http, one conditional put)",
      value: med((r) => r.checks.rate),
      unit: "checks/s",
      baseline: {
        name: `relayed puts, same client, same store, ${CONCURRENCY} keep-alive connections`,
        value: med((r) => r.relay.rate),
        unit: "puts/s",
      },
      ratio: median(checkVsRelay),
      spread: spreadOf(checkVsRelay),
      note: `CPU µs per request: gateway ${fmt(cpu.gateway)}, relay ${fmt(cpu.relay)}`,
    });
    if (first !== undefined) {
      report({
        suite: SUITE,
        name: `checks over HTTP, the first ${perRound} of a fresh gateway process (JIT not settled)`,
        value: first.checks.rate,
        unit: "checks/s",
        baseline: { name: "raw conditional puts, same round", value: first.puts.rate, unit: "puts/s" },
        ratio: first.checks.rate / first.puts.rate,
        note: `gateway CPU ${fmt(first.checks.cpu.gateway)} µs per check`,
      });
    }
    const latencies = measured.flatMap((r) => r.checks.latencies);
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
    putClient.destroy();
    await Promise.all([gateway.stop(), relay.stop()]);
  }
}
