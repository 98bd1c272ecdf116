import { HttpError, json, requireMethod } from "../http.js";
import type { DepsSource } from "../runtime.js";
import { httpRoute } from "./route.js";

/*
 * GET /v1/key-log?from=<seq> — the append-only, hash-chained log of key events, for key consistency: a wallet
 * (or anyone) can check that the key a token is for was announced to everybody, and replay the chain.
 * Pages of at most 500 entries; `next` is the `from` of the following page.
 */

const PAGE = 500;

export function createKeyLogHandler(source?: DepsSource) {
  return httpRoute(async (event, deps) => {
    requireMethod(event, "GET");
    const raw = event.queryStringParameters?.from ?? "0";
    if (!/^\d{1,9}$/.test(raw)) throw new HttpError(400, "ERR_BAD_REQUEST", "from must be a sequence number");
    const entries = await deps.stores.keyLog.list(Number(raw), PAGE);
    const last = entries.at(-1);
    return json(
      200,
      { entries, ...(entries.length === PAGE && last !== undefined ? { next: last.seq + 1 } : {}) },
      { "cache-control": "public, max-age=60", "access-control-allow-origin": "*" },
    );
  }, source);
}

export const handler = createKeyLogHandler();
