import { digest } from "./blind-rsa/emsa-pss.js";
import { equalBytes, toHex } from "./bytes.js";
import { DecodeError, ProtocolError, VerificationError } from "./errors.js";
import { encodeRsaEncryptionSpki, parseRsaSpki } from "./spki.js";
import { Token } from "./token.js";
import { tokenKeyId } from "./token-key.js";
import { BLIND_RSA_NK } from "./token-request.js";

/*
 * The one token verifier of blindgate (site gate, Node entry, gateway check): RFC 9578 §6.4 / RFC 9577 §2.2,
 * verification of a type 0x0002 Token at the origin:
 *   1. decode the Token (Token.decode, the only reader of token fields); token_type must be 0x0002
 *   2. token_key_id must name a known key (full 32 bytes; truncated ids may collide)
 *   3. challenge_digest must equal SHA-256(TokenChallenge) of the challenge the origin expects (constant time)
 *   4. RSASSA-PSS-VERIFY(pkI, token_input, authenticator) with SHA-384, MGF1-SHA-384, salt length 48
 * Keys are parsed strictly once (parseRsaSpki: minimal DER, RSA-2048 only) and imported once through a
 * {@link VerifierBackend}: WebCrypto here (any runtime), OpenSSL in "@blindgate/sdk/node". The steps live here only.
 * Every failure is a VerificationError, or a DecodeError for bytes that are not a Token.
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
  /** The full token_key_id (a copy). */
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

/** Builds a verifier for a set of keys: {@link createTokenVerifier}, or `createNodeTokenVerifier` on Node. */
export type TokenVerifierFactory = <M>(
  keys: readonly TokenVerifierKey<M>[],
  options?: TokenVerifierOptions,
) => Promise<TokenVerifier<M>>;

/** The primitives a verifier runs on: the steps above stay in this file, only these differ per runtime. */
export interface VerifierBackend<K> {
  /** Import an rsaEncryption SPKI (already checked by parseRsaSpki) for RSA-PSS SHA-384 verification. */
  importKey(rsaEncryptionSpki: Uint8Array<ArrayBuffer>): K | Promise<K>;
  /** RSASSA-PSS-VERIFY with SHA-384, MGF1-SHA-384, salt length {@link TOKEN_SALT_LENGTH}. */
  verify(key: K, input: Uint8Array, authenticator: Uint8Array): boolean | Promise<boolean>;
  /** SHA-256. */
  sha256(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** PSS salt length of token type 0x0002 authenticators. */
export const TOKEN_SALT_LENGTH = 48;
/** Distinct challenges whose digests a verifier remembers (a site expects few). */
const CHALLENGE_CACHE_SIZE = 16;

/**
 * A token verifier over any {@link VerifierBackend}: the implementation behind {@link createTokenVerifier} and
 * `createNodeTokenVerifier`. Throws DecodeError("ERR_KEY") for a key that is not an RSA-2048 SPKI, unless
 * `skipInvalidKeys`.
 *
 * @example
 * ```ts
 * const verifier = await createVerifierOn(webCryptoBackend, [{ spki: pkS, meta: 18 }]);
 * ```
 */
export async function createVerifierOn<K, M>(
  backend: VerifierBackend<K>,
  keys: readonly TokenVerifierKey<M>[],
  options: TokenVerifierOptions = {},
): Promise<TokenVerifier<M>> {
  const byId = new Map<string, { key: K; meta: M; id: Uint8Array }>();
  for (const { spki, meta } of keys) {
    try {
      const parsed = parseRsaSpki(spki);
      if (parsed.modulusBytes !== BLIND_RSA_NK) throw new DecodeError("ERR_KEY", "token key: not RSA-2048");
      const id = await tokenKeyId(spki);
      byId.set(toHex(id), { key: await backend.importKey(encodeRsaEncryptionSpki(parsed)), meta, id });
    } catch (cause) {
      if (options.skipInvalidKeys) continue;
      if (cause instanceof ProtocolError) throw cause;
      throw new DecodeError("ERR_KEY", "token key: cannot be imported", { cause });
    }
  }
  const digests: { challenge: Uint8Array; digest: Uint8Array }[] = [];
  const digestOf = async (expected: ExpectedChallenge): Promise<Uint8Array> => {
    if ("challengeDigest" in expected) return expected.challengeDigest;
    const { challenge } = expected;
    const hit = digests.find((d) => equalBytes(d.challenge, challenge));
    if (hit !== undefined) return hit.digest;
    const computed = await backend.sha256(challenge);
    if (digests.length >= CHALLENGE_CACHE_SIZE) digests.shift();
    digests.push({ challenge: challenge.slice(), digest: computed });
    return computed;
  };

  return {
    async verify(input, expected) {
      // 1.
      const token = input instanceof Token ? input : Token.decode(input);
      // 2.
      const entry = byId.get(toHex(token.tokenKeyId));
      if (entry === undefined) throw new VerificationError("ERR_UNKNOWN_KEY", "token: unknown key id");
      // 3.
      if (!equalBytes(token.challengeDigest, await digestOf(expected))) {
        throw new VerificationError("ERR_CHALLENGE_MISMATCH", "token: answers another challenge");
      }
      // 4.
      if (!(await backend.verify(entry.key, token.authenticatorInput(), token.authenticator))) {
        throw new VerificationError("ERR_VERIFY", "token: signature does not verify");
      }
      return { tokenKeyId: entry.id.slice(), meta: entry.meta };
    },
  };
}

/**
 * WebCrypto primitives (RSA-PSS, SHA-384, salt 48): the backend of {@link createTokenVerifier}.
 *
 * @example
 * ```ts
 * const verifier = await createVerifierOn(webCryptoBackend, keys);
 * ```
 */
export const webCryptoBackend: VerifierBackend<CryptoKey> = {
  importKey: (spki) =>
    crypto.subtle.importKey("spki", spki, { name: "RSA-PSS", hash: "SHA-384" }, false, ["verify"]),
  verify: (key, input, authenticator) =>
    crypto.subtle.verify(
      { name: "RSA-PSS", saltLength: TOKEN_SALT_LENGTH },
      key,
      authenticator as Uint8Array<ArrayBuffer>,
      input as Uint8Array<ArrayBuffer>,
    ),
  sha256: (bytes) => digest("SHA-256", bytes),
};

/**
 * A browser-safe token verifier on WebCrypto. Each key is imported once. On Node, `createNodeTokenVerifier` from
 * "@blindgate/sdk/node" runs the same steps on OpenSSL and is faster.
 *
 * @example
 * ```ts
 * const verifier = await createTokenVerifier([{ spki: pkS, meta: { ageOver: 18 } }]);
 * const { meta } = await verifier.verify(tokenBytes, { challenge: challenge.encode() });
 * ```
 */
export const createTokenVerifier: TokenVerifierFactory = (keys, options) =>
  createVerifierOn(webCryptoBackend, keys, options);
