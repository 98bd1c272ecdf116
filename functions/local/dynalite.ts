import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";

/*
 * dynalite (a DynamoDB-compatible server in pure JavaScript) in this process, on a free 127.0.0.1 port: the store
 * of `npm start`, and one of the two real servers the integration tests run on.
 */

interface DynaliteServer {
  listen(port: number, host: string, cb: (err?: Error) => void): void;
  close(cb: () => void): void;
  address(): AddressInfo;
}

export interface LocalDynalite {
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynalite> {
  // CommonJS without types: loaded through require, typed by the interface above. Tables are ACTIVE at once.
  const dynalite = createRequire(import.meta.url)("dynalite") as (options: {
    createTableMs: number;
    deleteTableMs: number;
    updateTableMs: number;
  }) => DynaliteServer;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) =>
    server.listen(0, "127.0.0.1", (e) => (e ? reject(e) : resolve())),
  );
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
