import { createPrivateKey, type KeyObject } from "node:crypto";
import { createNodeTokenVerifier } from "@blindgate/sdk/node";
import {
  type ActPrivateKey,
  decodeActPrivateKey,
  type TokenVerifier,
} from "@blindgate/sdk/protocol/internal";
import { UnavailableError } from "../errors.js";
import type { ReportKeyRecord, Stores, TokenKeyRecord } from "../stores/index.js";
import { BlindSigner } from "./blind-signer.js";
import { checkingKeys } from "./key-state.js";
import type { KeyVault } from "./key-vault.js";

/**
 * The keys as one container sees them: the table is read at most every `refreshSeconds`, private keys (token,
 * credit and report keys) are opened (vault) and parsed once per key, and one token verifier is built per set of
 * keys. One per container, in its Deps.
 */
export class IssuerKeyCache {
  #keys: TokenKeyRecord[] = [];
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<TokenKeyRecord[]> | undefined;
  /** Opened private keys by kind and id. */
  readonly #opened = new Map<string, Promise<unknown>>();
  #verifier: { ids: string; verifier: Promise<TokenVerifier<TokenKeyRecord>> } | undefined;

  constructor(
    private readonly stores: Stores,
    private readonly vault: KeyVault,
    private readonly refreshSeconds = 30,
  ) {}

  /** Every key in the table, at most `refreshSeconds` old (`force` reads now). */
  async all(now: number, force = false): Promise<TokenKeyRecord[]> {
    if (force || now - this.#readAt >= this.refreshSeconds || now < this.#readAt) {
      this.#reading ??= this.stores.keys.list().finally(() => {
        this.#reading = undefined;
      });
      this.#keys = await this.#reading;
      this.#readAt = now;
    }
    return this.#keys;
  }

  /** The blind signer of a key (its private key opened once per container). */
  signer(key: TokenKeyRecord): Promise<BlindSigner> {
    return this.#open("token", key, (pkcs8) => BlindSigner.fromPkcs8(pkcs8));
  }

  /** The ACT secret of a credit-credential key (opened once per container). */
  creditSecret(key: TokenKeyRecord): Promise<ActPrivateKey> {
    return this.#open("credit", key, decodeActPrivateKey);
  }

  /** The report key's ECDSA private key (opened once per container). */
  reportSigner(key: ReportKeyRecord): Promise<KeyObject> {
    return this.#open("report", key, (pkcs8) =>
      createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" }),
    );
  }

  /**
   * Every sealed key is opened here, once: the vault opens it with its id as context, `parse` makes the usable key,
   * and the plaintext is zeroed whatever happens. A failure is forgotten, so the next request tries again.
   */
  #open<T>(
    kind: string,
    key: { readonly id: string; readonly sealedPrivateKey: Uint8Array },
    parse: (plaintext: Uint8Array) => T,
  ): Promise<T> {
    const name = `${kind}:${key.id}`;
    let opened = this.#opened.get(name) as Promise<T> | undefined;
    if (opened === undefined) {
      opened = this.vault
        .open(key.sealedPrivateKey, key.id)
        .catch((cause: unknown) => {
          throw new UnavailableError("the key vault (KMS)", cause);
        })
        .then((plaintext) => {
          try {
            return parse(plaintext);
          } finally {
            plaintext.fill(0);
          }
        });
      opened.catch(() => this.#opened.delete(name));
      this.#opened.set(name, opened);
    }
    return opened;
  }

  /** A verifier over the keys whose tokens are accepted at `now`. */
  async verifier(now: number): Promise<TokenVerifier<TokenKeyRecord>> {
    const keys = checkingKeys(await this.all(now), now);
    const ids = keys
      .map((k) => k.id)
      .sort()
      .join(",");
    if (this.#verifier?.ids !== ids) {
      this.#verifier = {
        ids,
        verifier: createNodeTokenVerifier(keys.map((k) => ({ spki: k.spki, meta: k }))),
      };
    }
    return this.#verifier.verifier;
  }
}
