import {
  checkKeySet,
  GATEWAY_PATHS,
  isKeyAnnounced,
  type KeyLogEntry,
  type KeyLogPage,
  keyLogPageSchema,
  verifyKeyLog,
} from "../protocol/index.js";
import { cacheSeconds, MIN_DIRECTORY_TTL } from "./directory-cache.js";
import { GateError } from "./errors.js";

/*
 * Key consistency, site side. Before the gate accepts a token of a key its directory lists, it checks that the
 * issuer's append-only key log (GET {baseUrl}/v1/key-log) announces that key, that the log's hash chain is intact,
 * and that the log's key set is bounded (checkKeySet: at most two live keys per threshold and kind, no short
 * epochs), so an issuer cannot hand one group of people a key nobody else has. A token of a key no directory lists
 * (a retired key) is checked against the log alone: its entry carries the SPKI, so the gate can verify the token
 * before it sends it to the one gateway that announced the key.
 *
 * The log is read with care for a throttled gateway:
 *   - a confirmed key is remembered until its validity ends: the log is read once per key, not per token;
 *   - the log itself is cached for its Cache-Control max-age (30 s .. 1 day) and refreshed incrementally
 *     (`?from=<entries held>`, it is append-only), at most once per 30 s when a key is missing from it;
 *   - a 429, 502, 503, 504 or a network failure is retried with exponential backoff and jitter (Retry-After
 *     honoured), within the gate's timeout;
 *   - when a refresh still fails, a cached copy that announces the key keeps serving, and the log is left alone
 *     for 5 s (or its Retry-After, up to a minute) rather than asked again by every request.
 * Fail closed otherwise: no copy and no answer is GATEWAY_UNAVAILABLE; a broken chain or an unannounced key is
 * KEY_NOT_ANNOUNCED; an unbounded key set is KEY_SET.
 */

/** Path of the key log under a gateway's base URL. */
export const KEY_LOG_PATH = GATEWAY_PATHS.keyLog;
/** Most entries read from one key log. */
const MAX_ENTRIES = 100_000;
/** Attempts per key-log page (the first and the retries). */
export const KEY_LOG_ATTEMPTS = 4;
/** First backoff delay, milliseconds (then doubled; each delay drawn in [half, whole]). */
const BACKOFF_BASE_MS = 100;
/** Longest Retry-After the gate waits for, in milliseconds (beyond it, the attempt is given up). */
const MAX_RETRY_AFTER_MS = 2000;
const RETRYABLE = new Set([429, 502, 503, 504]);
/** After a read that failed for good, no new read for this long (or the gateway's Retry-After, up to a minute). */
export const KEY_LOG_FAILURE_PAUSE_MS = 5000;
const MAX_FAILURE_PAUSE_MS = 60_000;

/** Options of {@link KeyLogCheck}. */
export interface KeyLogCheckOptions {
  fetch: typeof fetch;
  /** Budget of one log read, retries included, in milliseconds. */
  timeoutMs: number;
  /** Clock in milliseconds. */
  now: () => number;
  /** Shortest key epoch accepted (checkKeySet's minEpochSeconds). */
  minEpochSeconds: number;
  /** Waits between retries (default setTimeout); for tests. */
  sleep?: (ms: number) => Promise<void>;
}

interface CachedLog {
  readonly entries: readonly KeyLogEntry[];
  readonly expiresAtMs: number;
}

/**
 * The key logs of the trusted issuers, as the gate reads them.
 *
 * @example
 * ```ts
 * const logs = new KeyLogCheck({ fetch, timeoutMs: 5000, now: Date.now, minEpochSeconds: 3600 });
 * await logs.assertAnnounced("https://gateway.example", keyIdHex); // throws GateError when not
 * ```
 */
export class KeyLogCheck {
  readonly #options: KeyLogCheckOptions;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #confirmed = new Map<string, number>();
  readonly #logs = new Map<string, CachedLog>();
  readonly #lastAttemptMs = new Map<string, number>();
  readonly #reading = new Map<string, Promise<CachedLog>>();
  /** Per issuer: no read before this time (ms), after a read that failed for good. */
  readonly #pausedUntil = new Map<string, number>();

  constructor(options: KeyLogCheckOptions) {
    this.#options = options;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Resolves when the issuer's log announces the key and its key set is bounded; throws GateError otherwise. */
  async assertAnnounced(baseUrl: string, keyIdHex: string): Promise<void> {
    const nowSeconds = Math.floor(this.#options.now() / 1000);
    const id = `${baseUrl} ${keyIdHex}`;
    const until = this.#confirmed.get(id);
    if (until !== undefined && nowSeconds < until) return;
    const entry = await this.#announced(baseUrl, keyIdHex, { refreshMissing: true });
    if (entry === undefined) {
      throw new GateError("ERR_KEY_NOT_ANNOUNCED", "token: its key is not announced in the issuer's key log");
    }
    this.#confirmed.set(id, entry.validUntil);
  }

  /**
   * The log entry announcing a key no directory lists (a retired key), or undefined when the issuer's log does not
   * announce it. Reads the log at most once per 30 s for keys it lacks, so junk key ids cost the gateway nothing.
   * Throws GateError: KEY_SET, KEY_NOT_ANNOUNCED (broken chain), GATEWAY_UNAVAILABLE (no copy and no answer).
   */
  findAnnounced(baseUrl: string, keyIdHex: string): Promise<KeyLogEntry | undefined> {
    return this.#announced(baseUrl, keyIdHex, { refreshMissing: false });
  }

  async #announced(
    baseUrl: string,
    keyIdHex: string,
    { refreshMissing }: { refreshMissing: boolean },
  ): Promise<KeyLogEntry | undefined> {
    const nowMs = this.#options.now();
    const cached = this.#logs.get(baseUrl);
    const holds = cached !== undefined && announces(cached, keyIdHex, nowMs);
    const fresh = cached !== undefined && nowMs < cached.expiresAtMs;
    const recent =
      nowMs - (this.#lastAttemptMs.get(baseUrl) ?? Number.NEGATIVE_INFINITY) < MIN_DIRECTORY_TTL * 1000;
    // The copy serves when it announces the key and is fresh (or was just refreshed, in vain); a copy without the
    // key is read again unless it was read in the last 30 s (or, for ids no directory lists, while it is fresh).
    const serveCopy = holds ? fresh || recent : recent || (fresh && !refreshMissing);
    let log: CachedLog;
    if (cached !== undefined && serveCopy) {
      log = cached;
    } else if (nowMs < (this.#pausedUntil.get(baseUrl) ?? 0)) {
      // The log just failed for good (throttled, down): do not add to its load; a copy that has the key serves.
      if (cached === undefined || !holds) {
        throw new GateError("ERR_GATEWAY_UNAVAILABLE", "key log: unavailable, pausing before the next read");
      }
      log = cached;
    } else {
      try {
        log = await this.#refresh(baseUrl);
      } catch (error) {
        // A throttled or unreachable log: a copy that announces the key keeps serving; nothing else does.
        if (cached === undefined || !holds || !(error instanceof GateError)) throw error;
        if (error.code !== "ERR_GATEWAY_UNAVAILABLE") throw error;
        log = cached;
      }
    }
    return this.#judge(log, keyIdHex, nowMs);
  }

  #judge(log: CachedLog, keyIdHex: string, nowMs: number): KeyLogEntry | undefined {
    const nowSeconds = Math.floor(nowMs / 1000);
    const verdict = checkKeySet(log.entries, nowSeconds, { minEpochSeconds: this.#options.minEpochSeconds });
    if (!verdict.ok) throw new GateError("ERR_KEY_SET", verdict.message);
    if (!isKeyAnnounced(log.entries, keyIdHex, nowSeconds)) return undefined;
    const mine = log.entries.filter((e) => e.keyId === keyIdHex);
    const [first] = mine;
    if (first === undefined) return undefined;
    // The entry with the earliest validUntil: the gate trusts the key no longer than every entry allows.
    return mine.reduce((a, b) => (b.validUntil < a.validUntil ? b : a), first);
  }

  /** One refresh per issuer at a time, shared by concurrent callers. */
  #refresh(baseUrl: string): Promise<CachedLog> {
    let reading = this.#reading.get(baseUrl);
    if (reading === undefined) {
      this.#lastAttemptMs.set(baseUrl, this.#options.now());
      reading = this.#read(baseUrl).finally(() => this.#reading.delete(baseUrl));
      this.#reading.set(baseUrl, reading);
    }
    return reading;
  }

  async #read(baseUrl: string): Promise<CachedLog> {
    const held = this.#logs.get(baseUrl)?.entries ?? [];
    // Append-only: ask only for what is new, and check it extends what we hold; read it all again if it does not.
    let read = await this.#readFrom(baseUrl, held.length);
    let entries = [...held, ...read.entries];
    if (!(await verifyKeyLog(entries)) && held.length > 0) {
      read = await this.#readFrom(baseUrl, 0);
      entries = read.entries;
    }
    if (!(await verifyKeyLog(entries))) {
      throw new GateError("ERR_KEY_NOT_ANNOUNCED", "key log: the hash chain does not verify");
    }
    const log = { entries, expiresAtMs: this.#options.now() + read.maxAgeSeconds * 1000 };
    this.#logs.set(baseUrl, log);
    return log;
  }

  async #readFrom(
    baseUrl: string,
    start: number,
  ): Promise<{ entries: KeyLogEntry[]; maxAgeSeconds: number }> {
    const entries: KeyLogEntry[] = [];
    let maxAgeSeconds: number | undefined;
    const deadline = this.#options.now() + this.#options.timeoutMs;
    for (let from = start; entries.length < MAX_ENTRIES; ) {
      const { page, cacheControl } = await this.#page(baseUrl, from, deadline);
      maxAgeSeconds ??= cacheSeconds(cacheControl);
      entries.push(...page.entries);
      if (page.next === undefined || page.next <= from) return { entries, maxAgeSeconds };
      from = page.next;
    }
    throw new GateError("ERR_GATEWAY_UNAVAILABLE", "key log: too long");
  }

  /** One page, retried with backoff on throttling and transient faults until `deadline`. */
  async #page(
    baseUrl: string,
    from: number,
    deadline: number,
  ): Promise<{ page: KeyLogPage; cacheControl: string | null }> {
    let last: unknown;
    for (let attempt = 0; attempt < KEY_LOG_ATTEMPTS; attempt++) {
      if (attempt > 0) {
        const step = BACKOFF_BASE_MS * 2 ** (attempt - 1);
        const backoff = step / 2 + (Math.random() * step) / 2;
        const wait = Math.max(backoff, retryAfterMs(last) ?? 0);
        if (wait > MAX_RETRY_AFTER_MS || this.#options.now() + wait >= deadline) break;
        await this.#sleep(wait);
      }
      const remaining = deadline - this.#options.now();
      if (remaining <= 0) break;
      let response: Response;
      try {
        response = await this.#options.fetch(`${baseUrl}${KEY_LOG_PATH}?from=${from}`, {
          headers: { Accept: "application/json" },
          redirect: "error",
          signal: AbortSignal.timeout(remaining),
        });
      } catch (cause) {
        last = cause;
        continue;
      }
      if (RETRYABLE.has(response.status)) {
        await response.body?.cancel().catch(() => undefined);
        last = response;
        continue;
      }
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        throw new GateError("ERR_GATEWAY_UNAVAILABLE", `key log: the gateway answered ${response.status}`);
      }
      try {
        const page = keyLogPageSchema.parse(await response.json());
        return { page, cacheControl: response.headers.get("Cache-Control") };
      } catch (cause) {
        throw new GateError("ERR_GATEWAY_UNAVAILABLE", "key log: the gateway answered outside the contract", {
          cause,
        });
      }
    }
    const detail =
      last instanceof Response ? `the gateway answered ${last.status}` : "the gateway cannot be reached";
    const pause = Math.min(MAX_FAILURE_PAUSE_MS, Math.max(KEY_LOG_FAILURE_PAUSE_MS, retryAfterMs(last) ?? 0));
    this.#pausedUntil.set(baseUrl, this.#options.now() + pause);
    throw new GateError("ERR_GATEWAY_UNAVAILABLE", `key log: ${detail}`, {
      cause: last instanceof Response ? undefined : last,
    });
  }
}

/** Does a cached log announce the key at `nowMs`? */
function announces(log: CachedLog, keyIdHex: string, nowMs: number): boolean {
  return isKeyAnnounced(log.entries, keyIdHex, Math.floor(nowMs / 1000));
}

/** A Retry-After in delta-seconds, in milliseconds; undefined when absent or a date. */
function retryAfterMs(last: unknown): number | undefined {
  if (!(last instanceof Response)) return undefined;
  const value = last.headers.get("Retry-After");
  if (value === null || !/^[0-9]{1,6}$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}
