import type { AddressInfo } from "node:net";
import { connect, createServer, type Server, type Socket } from "node:net";

/*
 * A TCP proxy in front of a store, for fault tests: `down()` drops every connection and refuses new ones (the
 * store is unreachable), `slow(ms)` delays every chunk (the store is slow), `up()` restores it.
 */

export interface FaultyProxy {
  readonly endpoint: string;
  down(): void;
  slow(ms: number): void;
  up(): void;
  close(): Promise<void>;
}

export async function startFaultyProxy(target: string): Promise<FaultyProxy> {
  const { hostname, port } = new URL(target);
  let mode: { kind: "up" } | { kind: "down" } | { kind: "slow"; ms: number } = { kind: "up" };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (mode.kind === "down") {
      client.destroy();
      return;
    }
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    const pipe = (from: Socket, to: Socket) =>
      from.on("data", (chunk) => {
        const delay = mode.kind === "slow" ? mode.ms : 0;
        if (delay === 0) to.write(chunk);
        else setTimeout(() => to.writable && to.write(chunk), delay);
      });
    pipe(client, upstream);
    pipe(upstream, client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: own } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${own}`,
    down() {
      mode = { kind: "down" };
      for (const s of sockets) s.destroy();
    },
    slow(ms) {
      mode = { kind: "slow", ms };
    },
    up() {
      mode = { kind: "up" };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
