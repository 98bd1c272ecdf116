import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { build } from "esbuild";
import { esbuildOptions, REPO_ROOT } from "../infra/constructs/bundling.js";
import { FIGURE_LINE, type Figure, report } from "./harness.js";

/*
 * A lean load generator for the HTTP figures: node:http with a keep-alive Agent (one TCP connection per slot,
 * reused), no fetch/undici layers, bodies as Buffers. Measured at about 0.4 ms of client CPU per request against
 * fetch's 1.2-2.2 ms (issue 14), which matters when the client, the gateway and the store share two cores.
 * And the helper processes the HTTP suites start: dynalite, the gateway (bench/gateway-server.ts), the latter
 * bundled as the stack bundles a function, so that process runs the code as deployed.
 */

export interface Answer {
  readonly status: number;
  readonly body: Buffer;
}

/** POSTs over keep-alive connections to one origin, at most `connections` at a time (the rest queue). */
export class KeepAliveClient {
  readonly #agent: Agent;
  readonly #url: URL;

  constructor(url: string, connections: number) {
    this.#url = new URL(url);
    this.#agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  }

  post(path: string, body: Uint8Array | string, headers: Record<string, string>): Promise<Answer> {
    const data =
      typeof body === "string" ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.length);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.#agent,
          host: this.#url.hostname,
          port: this.#url.port,
          method: "POST",
          path,
          headers: { ...headers, "content-length": String(data.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(data);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Runs `op` over `items`, `concurrency` at a time; returns each latency in ms. */
export async function concurrently<T>(
  items: readonly T[],
  concurrency: number,
  op: (item: T) => Promise<unknown>,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
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

/** A helper process that prints JSON lines: the first one its address, later ones answers to stdin commands. */
export interface Helper<T> {
  readonly info: T;
  /** Sends a command line and waits for the next JSON line. */
  ask<A>(command: string): Promise<A>;
  stop(): Promise<void>;
}

export function helper<T>(child: ReturnType<typeof spawn>): Promise<Helper<T>> {
  const lines = createInterface({ input: child.stdout! });
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  const early: string[] = [];
  lines.on("line", (line) => {
    const next = waiting.shift();
    if (next) next.resolve(line);
    else early.push(line);
  });
  child.once("exit", (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`bench: a helper process exited with ${code}`));
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const line = early.shift();
      if (line !== undefined) return resolve(line);
      if (child.exitCode !== null) return reject(new Error("bench: a helper process has exited"));
      waiting.push({ resolve, reject });
    });
  return nextLine().then((first) => ({
    info: JSON.parse(first) as T,
    async ask<A>(command: string) {
      child.stdin!.write(`${command}\n`);
      return JSON.parse(await nextLine()) as A;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  }));
}

/** dynalite in a process of its own (DynamoDB is a service of its own). */
export function startDynaliteProcess(): Promise<Helper<{ endpoint: string }>> {
  const child = spawn(
    process.execPath,
    [
      "-e",
      // prints its endpoint, answers "cpu" with its process.cpuUsage(), ends with the bench
      `const d = require("dynalite")({ createTableMs: 0 }); d.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ endpoint: "http://127.0.0.1:" + d.address().port }))); require("node:readline").createInterface({ input: process.stdin }).on("line", (l) => { if (l.trim() === "cpu") console.log(JSON.stringify(process.cpuUsage())); }).on("close", () => process.exit(0));`,
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  return helper(child);
}

/** What bench/gateway-server.ts prints first. */
export interface GatewayInfo {
  url: string;
  dynamoEndpoint: string;
  apiKey: string;
}

/** CPU time of a process, microseconds (process.cpuUsage). */
export interface CpuUsage {
  user: number;
  system: number;
}

/**
 * A bench script bundled with the stack's esbuild options (infra/constructs/bundling.ts: minified, the AWS client the
 * functions import), so the gateway code it measures is the code as deployed; esbuild (the
 * wallet build, never started here) and dynalite stay outside the bundle. Returns the bundle's path.
 */
async function bundle(entry: string): Promise<string> {
  const name = entry.replace(/^.*\//, "").replace(/\.ts$/, ".mjs");
  const outfile = join(REPO_ROOT, "node_modules", ".cache", "blindgate-bench", name);
  await build({
    ...esbuildOptions(join(REPO_ROOT, entry)),
    outfile,
    sourcemap: false,
    ...(process.env.BENCH_PROFILE_DIR === undefined ? {} : { minify: false }), // readable profiles
    external: ["esbuild", "dynalite"],
  });
  return outfile;
}

/**
 * Runs a bench script (path from the repository root) bundled as deployed, in a process of its own, with `env`
 * added; the figures it reports (harness.ts, BENCH_FIGURES=stdout) are reported here.
 */
export async function runBundled(entry: string, env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [await bundle(entry)], {
    env: { ...process.env, ...env, BENCH_FIGURES: "stdout" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  lines.on("line", (line) => {
    if (line.startsWith(FIGURE_LINE)) report(JSON.parse(line.slice(FIGURE_LINE.length)) as Figure);
    else console.log(line);
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`bench: ${entry} exited with ${code}`);
}

/**
 * A bench script (path from the repository root) bundled as deployed, started as a helper process with `env` added:
 * its first JSON line is its address, and `ask("cpu")` answers its process.cpuUsage(). BENCH_PROFILE_DIR adds
 * --cpu-prof.
 */
async function startBundledHelper<T>(entry: string, env: Record<string, string>): Promise<Helper<T>> {
  const profile =
    process.env.BENCH_PROFILE_DIR === undefined
      ? []
      : ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`];
  const child = spawn(process.execPath, [...profile, await bundle(entry)], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  return helper(child);
}

/**
 * The local gateway in a process of its own (bench/gateway-server.ts, bundled as deployed) on the store at
 * `dynamoEndpoint`, with a provider whose public JWKS is given.
 */
export function startGatewayProcess(jwks: unknown, dynamoEndpoint: string): Promise<Helper<GatewayInfo>> {
  return startBundledHelper("bench/gateway-server.ts", {
    BENCH_PROVIDER_JWKS: JSON.stringify(jwks),
    BENCH_DYNAMO_ENDPOINT: dynamoEndpoint,
  });
}

/**
 * The bare HTTP-to-DynamoDB relay (bench/relay-server.ts, bundled as deployed): one conditional put on `table` per
 * POST, nothing else.
 */
export function startRelayProcess(dynamoEndpoint: string, table: string): Promise<Helper<{ url: string }>> {
  return startBundledHelper("bench/relay-server.ts", {
    BENCH_DYNAMO_ENDPOINT: dynamoEndpoint,
    BENCH_SPENT_TABLE: table,
  });
}

/** CPU microseconds spent between two readings. */
export function cpuSpent(before: CpuUsage, after: CpuUsage): number {
  return after.user - before.user + (after.system - before.system);
}
