import { createNodeTokenVerifier } from "@blindgate/sdk/node";
import { type ActPrivateKey, decodeActPrivateKey, type TokenVerifier } from "@blindgate/sdk/protocol";
import { UnavailableError } from "../http/errors.js";
import type { Deps } from "../runtime.js";
import type { Stores, TokenKeyRecord } from "../stores/index.js";
import { BlindSigner } from "./blind-signer.js";
import { checkingKeys } from "./key-state.js";
import type { KeyVault } from "./key-vault.js";

/**
 * The keys as one container sees them: the table is read at most every `refreshSeconds`, private keys are
 * opened (vault) and parsed (BlindSigner) once per key, and one token verifier is built per set of keys.
 */
export class IssuerKeyCache {
  #keys: TokenKeyRecord[] = [];
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<TokenKeyRecord[]> | undefined;
  readonly #signers = new Map<string, Promise<BlindSigner>>();
  readonly #credits = new Map<string, Promise<ActPrivateKey>>();
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
    let signer = this.#signers.get(key.id);
    if (signer === undefined) {
      signer = this.vault
        .open(key.sealedPrivateKey, key.id)
        .catch((cause: unknown) => {
          throw new UnavailableError("the key vault (KMS)", cause);
        })
        .then((pkcs8) => {
          try {
            return BlindSigner.fromPkcs8(pkcs8);
          } finally {
            pkcs8.fill(0);
          }
        });
      signer.catch(() => this.#signers.delete(key.id));
      this.#signers.set(key.id, signer);
    }
    return signer;
  }

  /** The ACT secret of a credit-credential key (opened once per container). */
  creditSecret(key: TokenKeyRecord): Promise<ActPrivateKey> {
    let secret = this.#credits.get(key.id);
    if (secret === undefined) {
      secret = this.vault
        .open(key.sealedPrivateKey, key.id)
        .catch((cause: unknown) => {
          throw new UnavailableError("the key vault (KMS)", cause);
        })
        .then((bytes) => {
          try {
            return decodeActPrivateKey(bytes);
          } finally {
            bytes.fill(0);
          }
        });
      secret.catch(() => this.#credits.delete(key.id));
      this.#credits.set(key.id, secret);
    }
    return secret;
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

const rings = new WeakMap<Deps, IssuerKeyCache>();

/** The key cache of a Deps value (one per container, shared by the routes). */
export function keyCacheFor(deps: Deps): IssuerKeyCache {
  let ring = rings.get(deps);
  if (ring === undefined) {
    ring = new IssuerKeyCache(deps.stores, deps.vault);
    rings.set(deps, ring);
  }
  return ring;
}
