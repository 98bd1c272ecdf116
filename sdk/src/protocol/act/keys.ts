/**
 * Issuer keys (draft-schlesinger-cfrg-act §"Key Generation"): sk a scalar, pk = sk * G. ACT is keyed-verification:
 * the same party issues and verifies; the public key lets clients check issuance and refund proofs.
 */
import { ActError } from "./errors.js";
import { decodeElement, decodeScalar, encodeElement, encodeScalar, mulSecret, Point } from "./group.js";
import { type ScalarSource, seededScalars, webCryptoScalars } from "./random.js";

/** An issuer public key: W = sk * G. */
export interface ActPublicKey {
  readonly W: Point;
}

/** An issuer private key with its public key. */
export interface ActPrivateKey {
  readonly sk: bigint;
  readonly publicKey: ActPublicKey;
}

/** Encoded sizes: both are 32 bytes. */
export const ACT_PUBLIC_KEY_LENGTH = 32;
export const ACT_PRIVATE_KEY_LENGTH = 32;

function fromScalar(sk: bigint): ActPrivateKey {
  if (sk === 0n) throw new ActError("ERR_ACT_DECODE", "private key is zero");
  const W = mulSecret(Point.BASE, sk);
  W.precompute(4, false);
  return Object.freeze({ sk, publicKey: Object.freeze({ W }) });
}

/**
 * KeyGen(G, rng): 1. sk = rng.random_scalar(); 2. pk = sk * G. Random (WebCrypto) unless a source is given.
 *
 * @example
 * ```ts
 * const key = generateActKey();
 * const published = encodeActPublicKey(key.publicKey);
 * ```
 */
export function generateActKey(rng: ScalarSource = webCryptoScalars): ActPrivateKey {
  return fromScalar(rng.randomScalar());
}

/**
 * A key derived from a seed with the draft's SeededPRNG: reproducible, for tests and fixtures only.
 *
 * @example
 * ```ts
 * const key = actKeyFromSeed(new Uint8Array(32).fill(7));
 * ```
 */
export function actKeyFromSeed(seed: Uint8Array): ActPrivateKey {
  return generateActKey(seededScalars(seed));
}

/**
 * The 32-byte encoding of a public key.
 *
 * @example
 * ```ts
 * const bytes = encodeActPublicKey(key.publicKey);
 * ```
 */
export function encodeActPublicKey(pk: ActPublicKey): Uint8Array {
  return encodeElement(pk.W);
}

/**
 * Decodes a public key (a canonical non-identity ristretto255 element).
 *
 * @example
 * ```ts
 * const pk = decodeActPublicKey(fromBase64Url(directory.actKey));
 * ```
 */
export function decodeActPublicKey(bytes: Uint8Array): ActPublicKey {
  const W = decodeElement(bytes, "ActPublicKey");
  W.precompute(4, false);
  return Object.freeze({ W });
}

/**
 * The 32-byte encoding of a private key (little-endian scalar). Keep it secret.
 *
 * @example
 * ```ts
 * await secrets.put("act-sk", encodeActPrivateKey(key));
 * ```
 */
export function encodeActPrivateKey(key: ActPrivateKey): Uint8Array {
  return encodeScalar(key.sk);
}

/**
 * Decodes a private key and derives its public key.
 *
 * @example
 * ```ts
 * const key = decodeActPrivateKey(await secrets.get("act-sk"));
 * ```
 */
export function decodeActPrivateKey(bytes: Uint8Array): ActPrivateKey {
  return fromScalar(decodeScalar(bytes, "ActPrivateKey"));
}
