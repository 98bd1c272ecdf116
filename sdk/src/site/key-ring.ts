import type { GatewayClient } from "../client/index.js";
import {
  type DirectoryTokenKey,
  TOKEN_TYPE_BLIND_RSA,
  type TokenVerifier,
  type TokenVerifierFactory,
  toHex,
  tokenKeyId,
} from "../protocol/index.js";
import type { CachedDirectory, DirectoryCache } from "./directory-cache.js";
import { GateError } from "./errors.js";

/*
 * Every trusted issuer's keys, indexed by token_key_id, with one verifier per directory version. A token names
 * its key by id; the ring finds which issuer published it. An id no cached directory holds triggers one
 * rate-limited refresh of every issuer (a key may have been published since), then UNKNOWN_KEY.
 */

/** A trusted issuer as the gate runs it. */
export interface IssuerState {
  /** The gateway's base URL, without a trailing slash. */
  readonly baseUrl: string;
  /** The issuer name of its TokenChallenges (the gateway's host by default). */
  readonly issuerName: string;
  readonly siteKey: string;
  /** Whether tokens of its keys are checked against its key log. */
  readonly keyLog: boolean;
  /** The SDK's client of this issuer's gateway: directory, key log and check all go through it. */
  readonly gateway: GatewayClient;
  readonly directory: DirectoryCache;
}

/** A directory key found by id, with its issuer and the verifier that knows it. */
export interface FoundKey {
  readonly issuer: IssuerState;
  readonly key: DirectoryTokenKey;
  readonly verifier: TokenVerifier<DirectoryTokenKey>;
}

interface Index {
  readonly byId: Map<string, DirectoryTokenKey>;
  readonly verifier: Promise<TokenVerifier<DirectoryTokenKey>>;
}

/**
 * Keys of all trusted issuers, by token_key_id.
 *
 * @example
 * ```ts
 * const ring = new IssuerKeys(issuers, createTokenVerifier);
 * const found = await ring.find(toHex(Token.decode(tokenBytes).tokenKeyId)); // { issuer, key, verifier }
 * ```
 */
export class IssuerKeys {
  readonly #issuers: readonly IssuerState[];
  readonly #factory: TokenVerifierFactory;
  readonly #indexes = new WeakMap<CachedDirectory, Promise<Index>>();

  constructor(issuers: readonly IssuerState[], factory: TokenVerifierFactory) {
    this.#issuers = issuers;
    this.#factory = factory;
  }

  /** The issuers, in configuration order. */
  get issuers(): readonly IssuerState[] {
    return this.#issuers;
  }

  /**
   * Find the key with this id. Throws GateError("ERR_UNKNOWN_KEY") when no issuer lists it after a refresh, and
   * GateError("ERR_GATEWAY_UNAVAILABLE") when it is unknown and some issuer's directory could not be fetched at all.
   */
  async find(keyIdHex: string): Promise<FoundKey> {
    const first = await this.#search(keyIdHex, (c) => c.get());
    if (first.found !== undefined) return first.found;
    const second = await this.#search(keyIdHex, (c) => c.refresh());
    if (second.found !== undefined) return second.found;
    if (second.failure !== undefined) throw second.failure;
    throw new GateError("ERR_UNKNOWN_KEY", "token: no trusted issuer lists its key");
  }

  async #search(
    keyIdHex: string,
    load: (cache: DirectoryCache) => Promise<CachedDirectory>,
  ): Promise<{ found?: FoundKey; failure?: unknown }> {
    let failure: unknown;
    const loads = await Promise.allSettled(this.#issuers.map((issuer) => load(issuer.directory)));
    for (const [i, result] of loads.entries()) {
      const issuer = this.#issuers[i]!;
      if (result.status === "rejected") {
        failure ??= result.reason;
        continue;
      }
      const index = await this.#index(result.value);
      const key = index.byId.get(keyIdHex);
      if (key !== undefined) return { found: { issuer, key, verifier: await index.verifier } };
    }
    return failure === undefined ? {} : { failure };
  }

  #index(cached: CachedDirectory): Promise<Index> {
    let index = this.#indexes.get(cached);
    if (index === undefined) {
      index = buildIndex(cached, this.#factory);
      this.#indexes.set(cached, index);
    }
    return index;
  }
}

async function buildIndex(cached: CachedDirectory, factory: TokenVerifierFactory): Promise<Index> {
  const keys = cached.directory.tokenKeys.filter((k) => k.tokenType === TOKEN_TYPE_BLIND_RSA);
  const byId = new Map<string, DirectoryTokenKey>();
  for (const key of keys) byId.set(toHex(await tokenKeyId(key.tokenKey)), key);
  // A directory key that is not an RSA-2048 SPKI is left out: its tokens are then an unknown key.
  const verifier = Promise.resolve()
    .then(() =>
      factory(
        keys.map((key) => ({ spki: key.tokenKey, meta: key })),
        { skipInvalidKeys: true },
      ),
    )
    .catch((cause: unknown) => {
      throw new GateError("ERR_GATEWAY_UNAVAILABLE", "issuer directory: a token key cannot be loaded", {
        cause,
      });
    });
  // A factory failure surfaces when a token needs the verifier, not as an unhandled rejection now.
  verifier.catch(() => undefined);
  return { byId, verifier };
}
