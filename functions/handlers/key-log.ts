import { KEY_LOG_PAGE_SIZE, type KeyLogPage } from "@blindgate/sdk/protocol/internal";
import { GatewayError } from "../errors.js";
import { json, requireMethod } from "../http/index.js";
import type { DepsSource } from "../runtime.js";
import { httpRoute } from "./route.js";

/*
 * GET /v1/key-log?from=<seq> — the append-only, hash-chained log of key events, for key consistency: a wallet
 * (or anyone) can check that the key a token is for was announced to everybody, and replay the chain. Pages of
 * KEY_LOG_PAGE_SIZE entries, in the contract's shape (keyLogPageSchema); `next` is the `from` of the next page.
 */

export function createKeyLogHandler(source?: DepsSource) {
  return httpRoute(async (event, deps) => {
    requireMethod(event, "GET");
    const raw = event.queryStringParameters?.from ?? "0";
    if (!/^\d{1,9}$/.test(raw)) throw new GatewayError("ERR_BAD_REQUEST", "from must be a sequence number");
    const entries = await deps.stores.keyLog.list(Number(raw), KEY_LOG_PAGE_SIZE);
    const last = entries.at(-1);
    const page: KeyLogPage = {
      entries: [...entries],
      ...(entries.length === KEY_LOG_PAGE_SIZE && last !== undefined ? { next: last.seq + 1 } : {}),
    };
    return json(200, page, { "cache-control": "public, max-age=60", "access-control-allow-origin": "*" });
  }, source);
}

export const handler = createKeyLogHandler();
