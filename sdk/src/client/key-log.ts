import {
  checkKeySet,
  type KeyLogEntry,
  type KeyLogPage,
  keyLogPageSchema,
  verifyKeyLog,
} from "../protocol/internal.js";
import { GatewayClientError } from "./errors.js";

/*
 * Reading the key log (GET /v1/key-log?from=<seq>): pages of at most KEY_LOG_PAGE_SIZE entries, each naming the
 * next page's `from` until the last. A gateway that names a `next` that does not advance would keep a reader
 * forever; the read stops there, and at MAX_KEY_LOG_ENTRIES, and the caller judges what it got (a log cut short
 * fails the chain or lacks the key it looks for: it never passes by being short).
 */

/** Most entries read from one key log. */
export const MAX_KEY_LOG_ENTRIES = 100_000;

/** A key log as read: its entries from `from` on, and the first page's Cache-Control. */
export interface KeyLogRead {
  entries: KeyLogEntry[];
  cacheControl: string | null;
}

/** Fetches one page's JSON (any shape: it is parsed here). */
export type KeyLogPageFetcher = (from: number) => Promise<{ json: unknown; cacheControl: string | null }>;

/**
 * Every page from `start`, through `fetchPage`. Throws GatewayClientError("ERR_ANSWER") on a page outside the
 * contract or a log longer than MAX_KEY_LOG_ENTRIES.
 *
 * @example
 * ```ts
 * const { entries } = await readKeyLog(0, async (from) => ({ json: pages[from], cacheControl: null }));
 * ```
 */
export async function readKeyLog(start: number, fetchPage: KeyLogPageFetcher): Promise<KeyLogRead> {
  const entries: KeyLogEntry[] = [];
  let cacheControl: string | null | undefined;
  for (let from = start; ; ) {
    const answer = await fetchPage(from);
    cacheControl ??= answer.cacheControl;
    let page: KeyLogPage;
    try {
      page = keyLogPageSchema.parse(answer.json);
    } catch (cause) {
      throw new GatewayClientError("ERR_ANSWER", "key log: the gateway answered outside the contract", {
        cause,
      });
    }
    entries.push(...page.entries);
    if (entries.length > MAX_KEY_LOG_ENTRIES) {
      throw new GatewayClientError("ERR_ANSWER", `key log: longer than ${MAX_KEY_LOG_ENTRIES} entries`);
    }
    if (page.next === undefined || page.next <= from) return { entries, cacheControl: cacheControl ?? null };
    from = page.next;
  }
}

/**
 * Throws GatewayClientError unless the log is one a client may use: ERR_KEY_LOG_BROKEN when its hash chain does
 * not verify from seq 0, ERR_KEY_SET when checkKeySet refuses its key set at `nowSeconds` (the message says why).
 *
 * @example
 * ```ts
 * await assertKeyLog(cached.entries, Math.floor(Date.now() / 1000)); // a kept copy, judged again now
 * ```
 */
export async function assertKeyLog(
  entries: readonly KeyLogEntry[],
  nowSeconds: number,
  options: { minEpochSeconds?: number } = {},
): Promise<void> {
  if (!(await verifyKeyLog(entries))) {
    throw new GatewayClientError("ERR_KEY_LOG_BROKEN", "key log: the hash chain does not verify");
  }
  const verdict = checkKeySet(
    entries,
    nowSeconds,
    options.minEpochSeconds === undefined ? {} : { minEpochSeconds: options.minEpochSeconds },
  );
  if (!verdict.ok) throw new GatewayClientError("ERR_KEY_SET", verdict.message);
}
