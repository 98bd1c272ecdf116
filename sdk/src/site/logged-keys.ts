import {
  fromBase64Url,
  type KeyLogEntry,
  type TokenVerifier,
  type TokenVerifierFactory,
  toHex,
  tokenKeyId,
} from "../protocol/index.js";
import { GateError } from "./errors.js";

/*
 * Verifiers for keys the gate knows from a key log only: retired keys, which no directory lists while their tokens
 * stay valid. The log entry's SPKI must hash to the entry's key id (a log that lies about it announces nothing).
 * A few verifiers are kept, most recently used last, so a retired key's tokens do not import it each time.
 */

/** Most logged-key verifiers kept. */
const MAX_VERIFIERS = 32;

/**
 * The verifiers of logged keys, built with the gate's verifier factory.
 *
 * @example
 * ```ts
 * const loggedKeys = new LoggedKeys(createTokenVerifier);
 * await (await loggedKeys.verifier(entry)).verify(token, { challenge });
 * ```
 */
export class LoggedKeys {
  readonly #factory: TokenVerifierFactory;
  readonly #verifiers = new Map<string, Promise<TokenVerifier<KeyLogEntry>>>();

  constructor(factory: TokenVerifierFactory) {
    this.#factory = factory;
  }

  /** The verifier of a logged token key. Throws GateError("ERR_KEY_NOT_ANNOUNCED") when the entry's SPKI is not its key. */
  async verifier(entry: KeyLogEntry): Promise<TokenVerifier<KeyLogEntry>> {
    const id = `${entry.keyId} ${entry.spki}`;
    let verifier = this.#verifiers.get(id);
    if (verifier === undefined) {
      verifier = this.#build(entry);
      verifier.catch(() => this.#verifiers.delete(id));
      if (this.#verifiers.size >= MAX_VERIFIERS) {
        const [oldest] = this.#verifiers.keys();
        if (oldest !== undefined) this.#verifiers.delete(oldest);
      }
    } else {
      this.#verifiers.delete(id);
    }
    this.#verifiers.set(id, verifier);
    return verifier;
  }

  async #build(entry: KeyLogEntry): Promise<TokenVerifier<KeyLogEntry>> {
    let spki: Uint8Array;
    try {
      spki = fromBase64Url(entry.spki);
    } catch (cause) {
      throw new GateError("ERR_KEY_NOT_ANNOUNCED", "key log: a key's SPKI is not base64url", { cause });
    }
    if (toHex(await tokenKeyId(spki)) !== entry.keyId) {
      throw new GateError("ERR_KEY_NOT_ANNOUNCED", "key log: a key's SPKI does not match its key id");
    }
    try {
      return await this.#factory([{ spki, meta: entry }]);
    } catch (cause) {
      throw new GateError("ERR_KEY_NOT_ANNOUNCED", "key log: a key's SPKI is not an RSA-2048 key", { cause });
    }
  }
}
