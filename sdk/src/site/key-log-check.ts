import {
  GATEWAY_PATHS,
  isKeyAnnounced,
  type KeyLogEntry,
  type KeyLogPage,
  keyLogPageSchema,
  verifyKeyLog,
} from "../protocol/index.js";
import { GateError } from "./errors.js";

/*
 * Key consistency, site side: before the gate accepts a token of a key its directory lists, it checks once that
 * the issuer's append-only key log (GET {baseUrl}/v1/key-log) announces that key and that the log's hash chain is
 * intact, so an issuer cannot hand one person a key nobody else can see. A confirmed key is remembered until its
 * validity ends, so the log is read once per key, not per token. Fail closed: an unreachable log is
 * GATEWAY_UNAVAILABLE; a broken chain or an unannounced key is KEY_NOT_ANNOUNCED.
 */

/** Path of the key log under a gateway's base URL. */
export const KEY_LOG_PATH = GATEWAY_PATHS.keyLog;
/** Most entries read from one key log (pages of the gateway's size). */
const MAX_ENTRIES = 100_000;

export class KeyLogCheck {
  readonly #confirmed = new Map<string, number>();
  readonly #reading = new Map<string, Promise<KeyLogEntry[]>>();

  constructor(
    private readonly fetchImpl: typeof fetch,
    private readonly timeoutMs: number,
  ) {}

  /** Resolves when the key is announced in the issuer's log at `nowSeconds`; throws GateError otherwise. */
  async assertAnnounced(baseUrl: string, keyIdHex: string, nowSeconds: number): Promise<void> {
    const id = `${baseUrl} ${keyIdHex}`;
    const until = this.#confirmed.get(id);
    if (until !== undefined && nowSeconds < until) return;
    let reading = this.#reading.get(baseUrl);
    if (reading === undefined) {
      reading = this.#read(baseUrl).finally(() => this.#reading.delete(baseUrl));
      this.#reading.set(baseUrl, reading);
    }
    const entries = await reading;
    if (!(await verifyKeyLog(entries))) {
      throw new GateError("ERR_KEY_NOT_ANNOUNCED", "key log: the hash chain does not verify");
    }
    if (!isKeyAnnounced(entries, keyIdHex, nowSeconds)) {
      throw new GateError("ERR_KEY_NOT_ANNOUNCED", "token: its key is not announced in the issuer's key log");
    }
    const validUntil = Math.min(...entries.filter((e) => e.keyId === keyIdHex).map((e) => e.validUntil));
    this.#confirmed.set(id, validUntil);
  }

  async #read(baseUrl: string): Promise<KeyLogEntry[]> {
    const entries: KeyLogEntry[] = [];
    for (let from = 0; entries.length < MAX_ENTRIES; ) {
      let page: KeyLogPage;
      try {
        const response = await this.fetchImpl(`${baseUrl}${KEY_LOG_PATH}?from=${from}`, {
          headers: { Accept: "application/json" },
          redirect: "error",
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (response.status !== 200) throw new Error(`status ${response.status}`);
        page = keyLogPageSchema.parse(await response.json());
      } catch (cause) {
        throw new GateError("ERR_GATEWAY_UNAVAILABLE", "key log: cannot be read", { cause });
      }
      entries.push(...page.entries);
      if (page.next === undefined || page.next <= from) return entries;
      from = page.next;
    }
    throw new GateError("ERR_GATEWAY_UNAVAILABLE", "key log: too long");
  }
}
