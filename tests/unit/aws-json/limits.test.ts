import { createServer, type Server, type Socket } from "node:net";
import { CALL_LIMITS } from "@blindgate/aws-json";
import { DynamoDBClient, GetItemCommand } from "@blindgate/aws-json/dynamodb";
import { afterEach, describe, expect, it } from "vitest";

/*
 * The client's one set of bounds (CALL_LIMITS), against a store that accepts connections and never answers, and
 * one that refuses them: each call is given up after exactly CALL_LIMITS.maxAttempts attempts, with the error of
 * the last. The shipped bundle's 503 on a hung store is in tests/integration/infra/bundles.test.ts.
 */

let server: Server | undefined;
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listen(onConnection: (socket: Socket) => void): Promise<string> {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server!.address() as { port: number }).port}`;
}

const client = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: "eu-west-3",
    credentials: { accessKeyId: "a", secretAccessKey: "s" },
  });
const get = new GetItemCommand({ TableName: "sites", Key: { pk: { S: "x" } } });

describe("CALL_LIMITS", () => {
  it("are 2 attempts of at most 2 s each, 1 s to connect", () => {
    expect(CALL_LIMITS).toEqual({ maxAttempts: 2, connectTimeoutMs: 1000, requestTimeoutMs: 2000 });
  });

  it("end a call to a store that never answers after maxAttempts attempts, each given up by the client", async () => {
    let requests = 0;
    const endpoint = await listen((socket) => socket.once("data", () => requests++));
    const c = client(endpoint);
    try {
      await expect(c.send(get)).rejects.toThrow(
        `dynamodb: no answer within ${CALL_LIMITS.requestTimeoutMs} ms`,
      );
    } finally {
      c.destroy();
    }
    expect(requests).toBe(CALL_LIMITS.maxAttempts);
  });

  it("end a call to a store that drops every connection after maxAttempts attempts", async () => {
    let connections = 0;
    const endpoint = await listen((socket) => {
      connections++;
      socket.destroy();
    });
    const c = client(endpoint);
    try {
      await expect(c.send(get)).rejects.toThrow();
    } finally {
      c.destroy();
    }
    expect(connections).toBe(CALL_LIMITS.maxAttempts);
  });
});
