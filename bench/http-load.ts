import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";

/*
 * A lean load generator for the HTTP figures: node:http with a keep-alive Agent (one TCP connection per slot,
 * reused), no fetch/undici layers, bodies as Buffers. Measured at about 0.4 ms of client CPU per request against
 * fetch's 1.2-2.2 ms (issue 14), which matters when the client, the gateway and the store share two cores.
 * And the helper processes the HTTP suites start: dynalite, the gateway (bench/gateway-server.ts).
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

function helper<T>(child: ReturnType<typeof spawn>): Promise<Helper<T>> {
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
      `const d = require("dynalite")({ createTableMs: 0 }); d.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ endpoint: "http://127.0.0.1:" + d.address().port }))); process.stdin.on("end", () => process.exit(0)).resume();`,
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
 * The local gateway in a process of its own (bench/gateway-server.ts) on the store at `dynamoEndpoint`, with a
 * provider whose public JWKS is given; `ask("cpu")` answers its process.cpuUsage().
 */
export function startGatewayProcess(jwks: unknown, dynamoEndpoint: string): Promise<Helper<GatewayInfo>> {
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
        BENCH_PROVIDER_JWKS: JSON.stringify(jwks),
        BENCH_DYNAMO_ENDPOINT: dynamoEndpoint,
      },
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  return helper(child);
}

/** CPU microseconds spent between two readings. */
export function cpuSpent(before: CpuUsage, after: CpuUsage): number {
  return after.user - before.user + (after.system - before.system);
}
