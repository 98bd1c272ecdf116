import { digest } from "./blind-rsa/emsa-pss.js";
import { equalBytes, toHex } from "./bytes.js";
import { DecodeError, ProtocolError, VerificationError } from "./errors.js";
import { encodeRsaEncryptionSpki, parseRsaSpki } from "./spki.js";
import { TOKEN_AUTHENTICATOR_INPUT_LENGTH, Token } from "./token.js";
import { tokenKeyId } from "./token-key.js";
import { BLIND_RSA_NK } from "./token-request.js";

/*
 * RFC 9578 §6.4 / RFC 9577 §2.2, verification of a type 0x0002 Token at the origin:
 *   1. decode the Token; token_type must be 0x0002
 *   2. token_key_id must name a known key (full 32 bytes; truncated ids may collide)
 *   3. challenge_digest must equal SHA-256(TokenChallenge) of the challenge the origin expects (constant time)
 *   4. RSASSA-PSS-VERIFY(pkI, token_input, authenticator) with SHA-384, MGF1-SHA-384, salt length 48
 * Every failure is a VerificationError (or DecodeError for bytes that are not a Token).
 */

/** The challenge a token must answer: the encoded TokenChallenge, or its SHA-256 digest. */
export type ExpectedChallenge = { challenge: Uint8Array } | { challengeDigest: Uint8Array };

/** A key handed to a verifier, with whatever the caller wants back when a token of it verifies. */
export interface TokenVerifierKey<M> {
  /** The token key's SPKI (RFC 9578 RSASSA-PSS, or rsaEncryption). */
  readonly spki: Uint8Array;
  readonly meta: M;
}

/** What a verifier returns for a valid token. */
export interface VerifiedToken<M> {
  tokenKeyId: Uint8Array;
  meta: M;
}

/** Verifies type 0x0002 tokens against a fixed set of keys. */
export interface TokenVerifier<M> {
  /**
   * Verify a Token (or its bytes) answering `expected`. Throws DecodeError for bytes that are not a type 0x0002
   * Token, VerificationError "ERR_UNKNOWN_KEY", "ERR_CHALLENGE_MISMATCH" or "ERR_VERIFY" otherwise.
   */
  verify(token: Token | Uint8Array, expected: ExpectedChallenge): Promise<VerifiedToken<M>>;
}

/** Options of the verifier factories. */
export interface TokenVerifierOptions {
  /** Leave out keys that do not parse as RSA-2048 instead of throwing DecodeError("ERR_KEY"). Default false. */
  skipInvalidKeys?: boolean;
}

/** PSS parameters of token type 0x0002 authenticators. */
export const TOKEN_SALT_LENGTH = 48;

/**
 * A small cache of SHA-256(challenge) by challenge bytes: a site expects few distinct challenges, so the digest
 * is computed once per challenge instead of once per token.
 */
export class ChallengeDigestCache {
  readonly #entries: { challenge: Uint8Array; digest: Uint8Array }[] = [];
  constructor(
    private readonly hash: (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>,
    private readonly size = 16,
  ) {}

  /** SHA-256 of `expected.challenge`, or `expected.challengeDigest` as given. */
  async digestOf(expected: ExpectedChallenge): Promise<Uint8Array> {
    if ("challengeDigest" in expected) return expected.challengeDigest;
    return (
      this.lookup(expected.challenge) ?? this.store(expected.challenge, await this.hash(expected.challenge))
    );
  }

  /** The cached digest of this challenge, if any. */
  lookup(challenge: Uint8Array): Uint8Array | undefined {
    for (const entry of this.#entries) {
      if (entry.challenge.length === challenge.length && equalBytes(entry.challenge, challenge))
        return entry.digest;
    }
    return undefined;
  }

  /** Remember a digest (the oldest entry goes when full); returns it. */
  store(challenge: Uint8Array, digest: Uint8Array): Uint8Array {
    if (this.#entries.length >= this.size) this.#entries.shift();
    this.#entries.push({ challenge: challenge.slice(), digest });
    return digest;
  }
}

/** Steps 1 to 3, shared by both verifiers: the decoded parts of a token, its key entry and the digest check. */
export function checkTokenShape(token: Token | Uint8Array): {
  input: Uint8Array;
  authenticator: Uint8Array;
  keyId: Uint8Array;
  challengeDigest: Uint8Array;
} {
  if (token instanceof Token) {
    return {
      input: token.authenticatorInput(),
      authenticator: token.authenticator,
      keyId: token.tokenKeyId,
      challengeDigest: token.challengeDigest,
    };
  }
  // 1. Decode (DecodeError on a wrong length, trailing bytes or another token type); views, no copies.
  if (token.length !== TOKEN_AUTHENTICATOR_INPUT_LENGTH + BLIND_RSA_NK || token[0] !== 0 || token[1] !== 2) {
    Token.decode(token); // throws the precise DecodeError
    throw new DecodeError("ERR_DECODE_VALUE", "Token: malformed");
  }
  return {
    input: token.subarray(0, TOKEN_AUTHENTICATOR_INPUT_LENGTH),
    authenticator: token.subarray(TOKEN_AUTHENTICATOR_INPUT_LENGTH),
    keyId: token.subarray(66, 98),
    challengeDigest: token.subarray(34, 66),
  };
}

/** Step 3: constant-time comparison of the token's challenge_digest with the expected one. */
export function checkChallengeDigest(actual: Uint8Array, expected: Uint8Array): void {
  if (!equalBytes(actual, expected)) {
    throw new VerificationError("ERR_CHALLENGE_MISMATCH", "token: answers another challenge");
  }
}

/** Parse and index verifier keys by token_key_id (hex), calling `load` once per key. */
export async function indexKeys<M, K>(
  keys: readonly TokenVerifierKey<M>[],
  options: TokenVerifierOptions,
  load: (rsaEncryptionSpki: Uint8Array<ArrayBuffer>) => K | Promise<K>,
): Promise<Map<string, { key: K; meta: M; id: Uint8Array }>> {
  const byId = new Map<string, { key: K; meta: M; id: Uint8Array }>();
  for (const { spki, meta } of keys) {
    try {
      const parsed = parseRsaSpki(spki);
      if (parsed.modulusBytes !== BLIND_RSA_NK) throw new DecodeError("ERR_KEY", "token key: not RSA-2048");
      const id = await tokenKeyId(spki);
      byId.set(toHex(id), { key: await load(encodeRsaEncryptionSpki(parsed)), meta, id });
    } catch (cause) {
      if (options.skipInvalidKeys) continue;
      if (cause instanceof ProtocolError) throw cause;
      throw new DecodeError("ERR_KEY", "token key: cannot be imported", { cause });
    }
  }
  return byId;
}

/** Step 2: the key a token names, or VerificationError("ERR_UNKNOWN_KEY"). */
export function findKey<E>(byId: Map<string, E>, keyId: Uint8Array): E {
  const entry = byId.get(toHex(keyId));
  if (entry === undefined) throw new VerificationError("ERR_UNKNOWN_KEY", "token: unknown key id");
  return entry;
}

/**
 * A browser-safe token verifier on WebCrypto (RSA-PSS, SHA-384, salt length 48). Each key is imported once.
 * On Node, `createNodeTokenVerifier` from "@blindgate/sdk/node" has the same shape and is faster.
 *
 * @example
 * ```ts
 * const verifier = await createTokenVerifier([{ spki: pkS, meta: { ageOver: 18 } }]);
 * const { meta } = await verifier.verify(tokenBytes, { challenge: challenge.encode() });
 * ```
 */
export async function createTokenVerifier<M>(
  keys: readonly TokenVerifierKey<M>[],
  options: TokenVerifierOptions = {},
): Promise<TokenVerifier<M>> {
  const byId = await indexKeys(keys, options, (spki) =>
    crypto.subtle.importKey("spki", spki, { name: "RSA-PSS", hash: "SHA-384" }, false, ["verify"]),
  );
  const digests = new ChallengeDigestCache((bytes) => digest("SHA-256", bytes));
  return {
    async verify(token, expected) {
      const parts = checkTokenShape(token);
      const entry = findKey(byId, parts.keyId);
      checkChallengeDigest(parts.challengeDigest, await digests.digestOf(expected));
      const ok = await crypto.subtle.verify(
        { name: "RSA-PSS", saltLength: TOKEN_SALT_LENGTH },
        entry.key,
        parts.authenticator as Uint8Array<ArrayBuffer>,
        parts.input as Uint8Array<ArrayBuffer>,
      );
      if (!ok) throw new VerificationError("ERR_VERIFY", "token: signature does not verify");
      return { tokenKeyId: entry.id.slice(), meta: entry.meta };
    },
  };
}
