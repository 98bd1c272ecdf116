import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import * as esbuild from "esbuild";
import { dynamoClient } from "../../functions/runtime.js";
import { createTables, localTableNames } from "../../functions/stores/index.js";
import { esbuildOptions, REPO_ROOT } from "../../infra/constructs/bundling.js";
import { fmt, median, report, spreadOf } from "../harness.js";
import { type Helper, helper, startDynaliteProcess } from "../http-load.js";

/*
 * Which AWS client the functions import, chosen on the same work: the spent set's conditional put
 * (stores/dynamo/once.ts), sent by each candidate as a function would send it, bundled with the stack's own
 * esbuild options (bench/aws-clients/<candidate>.ts). For each:
 *
 *   bundle       minified KiB of the candidate with its spend, nothing else
 *   cold init    a fresh node process: import of the bundle + client made + first conditional put (median of 7,
 *                the candidates interleaved so machine drift hits all)
 *   CPU per put  µs of the candidate's process per conditional put, 16 in flight, against dynalite in a process
 *                of its own (rounds interleaved, warm-up rounds left out)
 *
 * Every figure of another candidate is printed beside the shipped one's (the baseline), with their ratio.
 */

const SUITE = "aws-clients";
const COLD_RUNS = 7;
const PUTS_PER_ROUND = 1000;
const WARM_UP_ROUNDS = 3;
const ROUNDS = 5;
const IN_FLIGHT = 16;
const run = promisify(execFile);

interface Candidate {
  readonly id: string;
  readonly name: string;
  /** Its attempts and timeouts, as each candidate's file sets them. */
  readonly limits: string;
}

/** The shipped client first: the others are compared with it. Each is bench/aws-clients/<id>.ts. */
const CANDIDATES: readonly Candidate[] = [
  {
    id: "aws-json",
    name: "@blindgate/aws-json (SigV4 on node:crypto, node:http)",
    limits: "2 attempts of at most 2 s, 1 s to connect (CALL_LIMITS)",
  },
  {
    id: "aws-sdk",
    name: "@aws-sdk/client-dynamodb (environment credentials)",
    limits: "2 attempts of at most 2 s, 1 s to connect (maxAttempts, requestHandler)",
  },
  {
    id: "aws-lite",
    name: "@aws-lite/client + @aws-lite/dynamodb",
    limits: "2 attempts (retries: 1); no connection or request timeout exists",
  },
];

/** A Lambda-like environment: region and role credentials in the environment, no AWS files. */
function lambdaEnv(home: string): Record<string, string> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")),
  ) as Record<string, string>;
  return {
    ...clean,
    HOME: home,
    AWS_REGION: "eu-west-3",
    AWS_ACCESS_KEY_ID: "AKIDBENCH",
    AWS_SECRET_ACCESS_KEY: "bench-secret",
    AWS_SESSION_TOKEN: "bench-session",
  };
}

async function coldInit(bundle: string, endpoint: string, table: string, env: Record<string, string>) {
  const script = [
    "const t0 = performance.now();",
    `const m = await import(${JSON.stringify(bundle)});`,
    `const spend = await m.createSpend(${JSON.stringify(endpoint)}, ${JSON.stringify(table)});`,
    "await spend(crypto.randomUUID(), Math.floor(Date.now() / 1000));",
    "process.stdout.write(String(performance.now() - t0));",
    "process.exit(0);", // keep-alive sockets would hold the process open
  ].join("\n");
  const { stdout } = await run(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], {
    cwd: REPO_ROOT,
    env,
  });
  return Number(stdout);
}

/** A warm process of the candidate that answers "<n>" with the CPU µs per put of n conditional puts. */
function startPutter(bundle: string, endpoint: string, table: string, env: Record<string, string>) {
  const script = `
    import { randomBytes } from "node:crypto";
    import { createInterface } from "node:readline";
    const m = await import(${JSON.stringify(bundle)});
    const spend = await m.createSpend(${JSON.stringify(endpoint)}, ${JSON.stringify(table)});
    console.log(JSON.stringify({ ready: true }));
    createInterface({ input: process.stdin })
      .on("line", async (line) => {
        const n = Number(line);
        const now = Math.floor(Date.now() / 1000);
        const ids = Array.from({ length: n }, () => randomBytes(32).toString("hex"));
        let next = 0;
        const before = process.cpuUsage();
        const t0 = performance.now();
        await Promise.all(Array.from({ length: ${IN_FLIGHT} }, async () => {
          while (next < n) await spend(ids[next++], now);
        }));
        const ms = performance.now() - t0;
        const cpu = process.cpuUsage(before);
        console.log(JSON.stringify({ cpuUs: (cpu.user + cpu.system) / n, perSecond: (n * 1000) / ms }));
      })
      .on("close", () => process.exit(0));`;
  const child = spawn(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], {
    cwd: REPO_ROOT,
    env,
    stdio: ["pipe", "pipe", "inherit"],
  });
  return helper<{ ready: boolean }>(child);
}

export default async function awsClients(): Promise<void> {
  mkdirSync(join(REPO_ROOT, "cdk.out"), { recursive: true });
  const out = mkdtempSync(join(REPO_ROOT, "cdk.out", "bench-aws-clients-"));
  const home = join(out, "home");
  mkdirSync(home);
  const env = lambdaEnv(home);
  const store = await startDynaliteProcess();
  const putters: Helper<{ ready: boolean }>[] = [];
  try {
    const endpoint = store.info.endpoint;
    const tables = localTableNames("bench-clients");
    const admin = dynamoClient(endpoint);
    await createTables(admin, tables);
    admin.destroy();

    const bundles = new Map<string, string>();
    const kib = new Map<string, number>();
    for (const c of CANDIDATES) {
      const outfile = join(out, `${c.id}.mjs`);
      await esbuild.build({
        ...esbuildOptions(join(REPO_ROOT, "bench", "aws-clients", `${c.id}.ts`)),
        outfile,
      });
      bundles.set(c.id, outfile);
      kib.set(c.id, readFileSync(outfile).length / 1024);
    }
    const empty = join(out, "empty.mjs");
    writeFileSync(empty, "export const createSpend = async () => async () => {};\n");

    const cold = new Map<string, number[]>(CANDIDATES.map((c) => [c.id, []]));
    const emptyCold: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      for (const c of CANDIDATES)
        cold.get(c.id)!.push(await coldInit(bundles.get(c.id)!, endpoint, tables.spent, env));
      emptyCold.push(await coldInit(empty, endpoint, tables.spent, env));
    }

    for (const c of CANDIDATES)
      putters.push(await startPutter(bundles.get(c.id)!, endpoint, tables.spent, env));
    const cpu = new Map<string, number[]>(CANDIDATES.map((c) => [c.id, []]));
    const rate = new Map<string, number[]>(CANDIDATES.map((c) => [c.id, []]));
    for (let round = 0; round < WARM_UP_ROUNDS + ROUNDS; round++) {
      for (const [i, c] of CANDIDATES.entries()) {
        const r = await putters[i]!.ask<{ cpuUs: number; perSecond: number }>(String(PUTS_PER_ROUND));
        if (round < WARM_UP_ROUNDS) continue;
        cpu.get(c.id)!.push(r.cpuUs);
        rate.get(c.id)!.push(r.perSecond);
      }
    }

    const [shipped, ...others] = CANDIDATES;
    const s = shipped!.id;
    const shippedInfo = shipped!;
    report({
      suite: SUITE,
      name: `shipped: ${shippedInfo.name}, bundle with one conditional put (minified)`,
      value: kib.get(s)!,
      unit: "KiB",
      note: shippedInfo.limits,
    });
    report({
      suite: SUITE,
      name: `shipped: ${shippedInfo.name}, cold init (import + client + first put, median of ${COLD_RUNS})`,
      value: median(cold.get(s)!),
      unit: "ms",
      baseline: { name: "an empty module, same node", value: median(emptyCold), unit: "ms" },
      ratio: median(cold.get(s)!) / median(emptyCold),
    });
    report({
      suite: SUITE,
      name: `shipped: ${shippedInfo.name}, client CPU per conditional put (${IN_FLIGHT} in flight)`,
      value: median(cpu.get(s)!),
      unit: "µs",
      note: `${fmt(median(rate.get(s)!))} puts/s against dynalite`,
    });
    for (const c of others) {
      const info = c;
      const perRound = cpu.get(c.id)!.map((v, i) => v / cpu.get(s)![i]!);
      report({
        suite: SUITE,
        name: `${info.name}: bundle with one conditional put (minified)`,
        value: kib.get(c.id)!,
        unit: "KiB",
        baseline: { name: shippedInfo.name, value: kib.get(s)!, unit: "KiB" },
        ratio: kib.get(c.id)! / kib.get(s)!,
        note: info.limits,
      });
      report({
        suite: SUITE,
        name: `${info.name}: cold init (import + client + first put, median of ${COLD_RUNS})`,
        value: median(cold.get(c.id)!),
        unit: "ms",
        baseline: { name: shippedInfo.name, value: median(cold.get(s)!), unit: "ms" },
        ratio: median(cold.get(c.id)!) / median(cold.get(s)!),
      });
      report({
        suite: SUITE,
        name: `${info.name}: client CPU per conditional put (${IN_FLIGHT} in flight)`,
        value: median(cpu.get(c.id)!),
        unit: "µs",
        baseline: { name: shippedInfo.name, value: median(cpu.get(s)!), unit: "µs" },
        ratio: median(perRound),
        spread: spreadOf(perRound),
        note: `${fmt(median(rate.get(c.id)!))} puts/s against dynalite`,
      });
    }
  } finally {
    await Promise.all(putters.map((p) => p.stop()));
    await store.stop();
    rmSync(out, { recursive: true, force: true });
  }
}
