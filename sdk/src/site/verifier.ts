import { toHex } from "../protocol/index.js";
import { GateError } from "./errors.js";

/*
 * The gate verifies tokens offline through a verifier built from the directory keys. The factory is an option so
 * the core stays runtime-neutral: the default runs on WebCrypto, and on Node the faster
 * `createNodeTokenVerifier` from "@blindgate/sdk/node" plugs in with the same shape.
 *
 * RFC 9577 §2.2, the Token:
 *
 *   struct {
 *       uint16_t token_type = 0x0002;
 *       uint8_t nonce[32];
 *       uint8_t challenge_digest[32];
 *       uint8_t token_key_id[32];
 *       uint8_t authenticator[Nk];      Nk = 256 for RSA-2048
 *   } Token;
 */

/** A directory key handed to a verifier factory, with whatever the caller wants back on success. */
export interface VerifierKey<M> {
  /** The RSASSA-PSS SPKI exactly as the directory lists it. */
  spki: Uint8Array;
  meta: M;
}

/** What a verifier returns for a token that verifies. */
export interface VerifiedToken<M> {
  tokenKeyId: Uint8Array;
  meta: M;
}

/** The verifier shape the gate uses. */
export interface GateTokenVerifier<M> {
  /** Verify a Token against its key and the encoded TokenChallenge; throws when it does not verify. */
  verify(token: Uint8Array, options: { challenge: Uint8Array }): Promise<VerifiedToken<M>> | VerifiedToken<M>;
}

/** Builds a verifier for a set of keys (called again whenever a directory changes). */
export type TokenVerifierFactory = <M>(
  keys: VerifierKey<M>[],
) => GateTokenVerifier<M> | Promise<GateTokenVerifier<M>>;

/** Token type of publicly verifiable tokens (RFC 9578). */
export const TOKEN_TYPE_BLIND_RSA = 0x0002;
/** Length of a type 0x0002 Token: 2 + 32 + 32 + 32 + 256. */
export const TYPE2_TOKEN_LENGTH = 354;
const KEY_ID_OFFSET = 2 + 32 + 32;

/**
 * The token_key_id of a type 0x0002 Token, as lowercase hex, after checking its type and length. Throws
 * GateError("MALFORMED_TOKEN") otherwise. The full decode and the signature check are the verifier's.
 *
 * @example
 * ```ts
 * const keyId = tokenKeyIdOf(tokenBytes); // "3d1f…" (64 hex digits)
 * ```
 */
export function tokenKeyIdOf(token: Uint8Array): string {
  if (token.length !== TYPE2_TOKEN_LENGTH) {
    throw new GateError("MALFORMED_TOKEN", "token: not the length of a type 0x0002 token");
  }
  const type = (token[0]! << 8) | token[1]!;
  if (type !== TOKEN_TYPE_BLIND_RSA) throw new GateError("MALFORMED_TOKEN", "token: not of type 0x0002");
  return toHex(token.subarray(KEY_ID_OFFSET, KEY_ID_OFFSET + 32));
}

/**
 * token_key_id of a directory key: SHA-256 of the encoded public key (RFC 9578 §6.5), as lowercase hex.
 *
 * @example
 * ```ts
 * const id = await keyIdOf(directoryKey.tokenKey);
 * ```
 */
export async function keyIdOf(spki: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", spki.slice())));
}
