import { digest } from "./blind-rsa/emsa-pss.js";
import { ProtocolError } from "./errors.js";
import { encodePssSpki, parseRsaSpki } from "./spki.js";

/*
 * RFC 9578 §6.5: token_key_id = SHA-256(pkI-enc), pkI-enc being the SPKI of the key with the id-RSASSA-PSS OID;
 * truncated_token_key_id is its least significant byte (the last one).
 */

/** Length of a token_key_id. */
export const TOKEN_KEY_ID_LENGTH = 32;

/**
 * token_key_id of a token key: SHA-256 of its RSASSA-PSS SPKI, byte for byte as published. An rsaEncryption SPKI
 * is converted to the RFC 9578 RSASSA-PSS encoding first. Throws DecodeError("ERR_KEY") for a non-RSA SPKI.
 *
 * @example
 * ```ts
 * const keyId = await tokenKeyId(pkS); // 32 bytes
 * const truncated = truncatedTokenKeyId(keyId);
 * ```
 */
export async function tokenKeyId(spki: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const parsed = parseRsaSpki(spki);
  const pss = parsed.kind === "rsassa-pss" ? spki : encodePssSpki(parsed);
  return digest("SHA-256", pss);
}

/**
 * truncated_token_key_id: the least significant byte of a token_key_id (RFC 9578 §6.1).
 *
 * @example
 * ```ts
 * const truncated = truncatedTokenKeyId(await tokenKeyId(pkS)); // 0..255
 * ```
 */
export function truncatedTokenKeyId(keyId: Uint8Array): number {
  if (keyId.length !== TOKEN_KEY_ID_LENGTH)
    throw new ProtocolError("ERR_INVALID_INPUT", "token_key_id: not 32 bytes");
  return keyId[TOKEN_KEY_ID_LENGTH - 1]!;
}
