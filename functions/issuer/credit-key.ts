import { createHash } from "node:crypto";
import { encodeActPrivateKey, encodeActPublicKey, generateActKey } from "@blindgate/sdk/protocol/internal";
import type { GeneratedTokenKey } from "./token-key.js";

/*
 * A credit-credential key (ACT, ristretto255): a random scalar and its public point. Shaped like a generated token
 * key so rotation, the vault and the key log treat both kinds alike: `spki` holds the 32-byte ACT public key,
 * `pkcs8` the 32-byte secret (sealed by the vault, zeroed after), `tokenKeyId` the SHA-256 of the public key.
 */

/**
 * A fresh ACT key.
 *
 * @example
 * ```ts
 * const { spki: actPublicKey, pkcs8: secret, tokenKeyId } = await generateCreditKey();
 * ```
 */
export async function generateCreditKey(): Promise<GeneratedTokenKey> {
  const key = generateActKey();
  const publicKey = encodeActPublicKey(key.publicKey);
  return {
    spki: publicKey,
    tokenKeyId: new Uint8Array(createHash("sha256").update(publicKey).digest()),
    pkcs8: encodeActPrivateKey(key),
  };
}
