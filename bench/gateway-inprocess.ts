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
import type { Context } from "aws-lambda";
import { httpEvent } from "../dev/lambda-http.js";
import { createCheckHandler } from "../functions/handlers/check.js";
import { createIssueHandler } from "../functions/handlers/issue.js";
import type { HttpEvent } from "../functions/http/index.js";
import { startLocalGateway } from "../functions/local/gateway.js";
import { currentKey, makeGrant, registerProvider } from "../tests/integration/gateway/client.js";
import { pairedDurations, pairedRounds, report } from "./harness.js";
import { concurrently } from "./http-load.js";

/*
 * The gateway suite's in-process figures (bench/suites/gateway.ts runs this file bundled with the stack's esbuild
 * options, so the handlers, stores and AWS client are those a Lambda function runs), on the store at
 * BENCH_DYNAMO_ENDPOINT (dynalite in a process of its own):
 * - the issue handler, batches of 20 and 100 (grant check, single use and quota, signatures) vs 20 / 100 raw
 *   RSA-2048 private operations (issue 14: >= 0.5x and >= 0.85x);
 * - the check handler (no HTTP) vs raw conditional puts of the spent set on the same store.
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
      const r = await pairedDurations(size === 20 ? 41 : 15, async () => {
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
    const perRound = 500;
    const rounds = 9; // the machine swings: nine rounds keep one slow minute out of the median
    // A warm container: the JIT takes a few thousand checks to settle (CPU per check measured falling from ~1.3 ms
    // to ~0.3 ms over a process's first ~4,000 checks), so six rounds are dropped; the first is reported on its own.
    const warmUp = 6;
    let first: { candidate: number; baseline: number } | undefined;
    const tokens: string[] = [];
    while (tokens.length < perRound * (rounds + warmUp)) {
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
    const r = await pairedRounds(
      rounds,
      async (round) => {
        // the events as Lambda hands them over, built before the clock starts (as the baseline's ids are)
        const events = tokens.slice(round * perRound, (round + 1) * perRound).map(checkEvent);
        let start = performance.now();
        await concurrently(events, CONCURRENCY, async (event) => {
          const result = await check(event, {} as Context);
          if (result.statusCode !== 200) throw new Error(`bench: check answered ${result.statusCode}`);
        });
        const candidate = (events.length * 1000) / (performance.now() - start);
        const ids = Array.from({ length: perRound }, () => randomBytes(32).toString("hex"));
        start = performance.now();
        await concurrently(ids, CONCURRENCY, (id) =>
          gateway.stores.spent.claim(id, { status: "used", expiresAt: now + 3600 }, now),
        );
        const result = { candidate, baseline: (ids.length * 1000) / (performance.now() - start) };
        if (round === 0) first = result;
        return result;
      },
      warmUp,
    );
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
    if (first !== undefined) {
      report({
        suite: SUITE,
        name: `check handler in-process, the first ${perRound} checks of a fresh process (JIT not settled)`,
        value: first.candidate,
        unit: "checks/s",
        baseline: { name: "raw conditional puts, same round", value: first.baseline, unit: "puts/s" },
        ratio: first.candidate / first.baseline,
      });
    }
  } finally {
    await gateway.close();
  }
}

const endpoint = process.env.BENCH_DYNAMO_ENDPOINT;
if (endpoint === undefined) throw new Error("bench: BENCH_DYNAMO_ENDPOINT is not set");
await inProcess(endpoint);
process.exit(0);
