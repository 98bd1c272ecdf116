import {
  type GatewayClient,
  GatewayClientError,
  type KeyLogRead,
  RETRYABLE_STATUSES,
} from "../client/index.js";
import {
  checkKeySet,
  GATEWAY_PATHS,
  isKeyAnnounced,
  type KeyLogEntry,
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
 *   - a 429, 502, 503, 504 or a network failure is retried by the gateway client (sdk/src/client/) with
 *     exponential backoff and jitter (Retry-After honoured), within the gate's timeout;
 *   - when a refresh still fails, a cached copy that announces the key keeps serving, and the log is left alone
 *     for 5 s (or its Retry-After, up to a minute) rather than asked again by every request.
 * Fail closed otherwise: no copy and no answer is GATEWAY_UNAVAILABLE; a broken chain or an unannounced key is
 * KEY_NOT_ANNOUNCED; an unbounded key set is KEY_SET.
 */

/** Path of the key log under a gateway's base URL. */
export const KEY_LOG_PATH = GATEWAY_PATHS.keyLog;
/** After a read that failed for good, no new read for this long (or the gateway's Retry-After, up to a minute). */
export const KEY_LOG_FAILURE_PAUSE_MS = 5000;
const MAX_FAILURE_PAUSE_MS = 60_000;

/** Options of {@link KeyLogCheck}. */
export interface KeyLogCheckOptions {
  /** Clock in milliseconds. */
  now: () => number;
  /** Shortest key epoch accepted (checkKeySet's minEpochSeconds). */
  minEpochSeconds: number;
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
 * const logs = new KeyLogCheck({ now: Date.now, minEpochSeconds: 3600 });
 * const gateway = new GatewayClient({ url: "https://gateway.example" });
 * await logs.assertAnnounced(gateway, keyIdHex); // throws GateError when not
 * ```
 */
export class KeyLogCheck {
  readonly #options: KeyLogCheckOptions;
  readonly #confirmed = new Map<string, number>();
  readonly #logs = new Map<string, CachedLog>();
  readonly #lastAttemptMs = new Map<string, number>();
  readonly #reading = new Map<string, Promise<CachedLog>>();
  /** Per issuer: no read before this time (ms), after a read that failed for good. */
  readonly #pausedUntil = new Map<string, number>();

  constructor(options: KeyLogCheckOptions) {
    this.#options = options;
  }

  /** Resolves when the issuer's log announces the key and its key set is bounded; throws GateError otherwise. */
  async assertAnnounced(gateway: GatewayClient, keyIdHex: string): Promise<void> {
    const nowSeconds = Math.floor(this.#options.now() / 1000);
    const id = `${gateway.baseUrl} ${keyIdHex}`;
    const until = this.#confirmed.get(id);
    if (until !== undefined && nowSeconds < until) return;
    const entry = await this.#announced(gateway, keyIdHex, { refreshMissing: true });
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
  findAnnounced(gateway: GatewayClient, keyIdHex: string): Promise<KeyLogEntry | undefined> {
    return this.#announced(gateway, keyIdHex, { refreshMissing: false });
  }

  async #announced(
    gateway: GatewayClient,
    keyIdHex: string,
    { refreshMissing }: { refreshMissing: boolean },
  ): Promise<KeyLogEntry | undefined> {
    const baseUrl = gateway.baseUrl;
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
        log = await this.#refresh(gateway);
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
  #refresh(gateway: GatewayClient): Promise<CachedLog> {
    const baseUrl = gateway.baseUrl;
    let reading = this.#reading.get(baseUrl);
    if (reading === undefined) {
      this.#lastAttemptMs.set(baseUrl, this.#options.now());
      reading = this.#read(gateway).finally(() => this.#reading.delete(baseUrl));
      this.#reading.set(baseUrl, reading);
    }
    return reading;
  }

  async #read(gateway: GatewayClient): Promise<CachedLog> {
    const held = this.#logs.get(gateway.baseUrl)?.entries ?? [];
    // Append-only: ask only for what is new, and check it extends what we hold; read it all again if it does not.
    let read = await this.#readFrom(gateway, held.length);
    let entries = [...held, ...read.entries];
    if (!(await verifyKeyLog(entries)) && held.length > 0) {
      read = await this.#readFrom(gateway, 0);
      entries = read.entries;
    }
    if (!(await verifyKeyLog(entries))) {
      throw new GateError("ERR_KEY_NOT_ANNOUNCED", "key log: the hash chain does not verify");
    }
    const log = { entries, expiresAtMs: this.#options.now() + cacheSeconds(read.cacheControl) * 1000 };
    this.#logs.set(gateway.baseUrl, log);
    return log;
  }

  /**
   * The entries from `start` on, through the gateway client (its paging and its retries, within the gate's
   * timeout). A read that failed for good pauses this issuer's log (see KEY_LOG_FAILURE_PAUSE_MS).
   */
  async #readFrom(gateway: GatewayClient, start: number): Promise<KeyLogRead> {
    try {
      return await gateway.keyLog({ from: start });
    } catch (error) {
      if (!(error instanceof GatewayClientError)) throw error;
      const throttled =
        error.code === "ERR_UNREACHABLE" ||
        (error.code === "ERR_STATUS" && error.status !== undefined && RETRYABLE_STATUSES.has(error.status));
      if (throttled) {
        const pause = Math.min(
          MAX_FAILURE_PAUSE_MS,
          Math.max(KEY_LOG_FAILURE_PAUSE_MS, error.retryAfterMs ?? 0),
        );
        this.#pausedUntil.set(gateway.baseUrl, this.#options.now() + pause);
      }
      const detail =
        error.code === "ERR_ANSWER" ? "the gateway answered outside the contract" : error.message;
      throw new GateError(
        "ERR_GATEWAY_UNAVAILABLE",
        detail.startsWith("key log") ? detail : `key log: ${detail}`,
        {
          cause: error,
        },
      );
    }
  }
}

/** Does a cached log announce the key at `nowMs`? */
function announces(log: CachedLog, keyIdHex: string, nowMs: number): boolean {
  return isKeyAnnounced(log.entries, keyIdHex, Math.floor(nowMs / 1000));
}
