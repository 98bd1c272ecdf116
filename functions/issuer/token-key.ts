import { generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import { tokenKeyId, toPssSpki } from "@blindgate/sdk/protocol";

/*
 * A fresh token key of type 0x0002 (RFC 9578 §6): RSA-2048 with e = 65537. The public half is published in the
 * RFC 9578 §6.5 encoding (SPKI with id-RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48) and named by its SHA-256,
 * the token_key_id. The private half leaves as PKCS#8 DER for the caller to encrypt at rest at once.
 */

const generateKeyPairAsync = promisify(generateKeyPair);

/** Modulus length of token keys, in bits. */
export const TOKEN_KEY_MODULUS_BITS = 2048;
/** Public exponent of token keys. */
export const TOKEN_KEY_PUBLIC_EXPONENT = 65537;

/** A generated token key. `pkcs8` is secret: encrypt it before it is stored anywhere, never log it. */
export interface GeneratedTokenKey {
  /** The RFC 9578 RSASSA-PSS SPKI (pkI-enc), as the directory publishes it. */
  readonly spki: Uint8Array;
  /** token_key_id = SHA-256(spki), 32 bytes. */
  readonly tokenKeyId: Uint8Array;
  /** The private key, PKCS#8 DER (rsaEncryption). */
  readonly pkcs8: Uint8Array;
}

/**
 * Generate an RSA-2048 token key (e = 65537) off the event loop.
 *
 * @example
 * ```ts
 * const { spki, tokenKeyId, pkcs8 } = await generateTokenKey();
 * const signer = BlindSigner.fromPkcs8(pkcs8);
 * ```
 */
export async function generateTokenKey(): Promise<GeneratedTokenKey> {
  const { publicKey, privateKey } = await generateKeyPairAsync("rsa", {
    modulusLength: TOKEN_KEY_MODULUS_BITS,
    publicExponent: TOKEN_KEY_PUBLIC_EXPONENT,
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "der" },
  });
  const spki = toPssSpki(new Uint8Array(publicKey));
  return { spki, tokenKeyId: await tokenKeyId(spki), pkcs8: new Uint8Array(privateKey) };
}
