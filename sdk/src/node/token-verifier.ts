import { constants, createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import {
  createVerifierOn,
  TOKEN_SALT_LENGTH,
  type TokenVerifierFactory,
  type VerifierBackend,
} from "../protocol/verify.js";

/*
 * The token verifier on node:crypto: the protocol core's one implementation (sdk/src/protocol/verify.ts) over
 * OpenSSL primitives — one KeyObject per key made up front, one-shot crypto.verify, synchronous SHA-256.
 */

/**
 * OpenSSL primitives for {@link createVerifierOn}.
 *
 * @example
 * ```ts
 * const verifier = await createVerifierOn(nodeBackend, [{ spki: pkS, meta: 18 }]);
 * ```
 */
export const nodeBackend: VerifierBackend<KeyObject> = {
  importKey: (spki) =>
    createPublicKey({
      key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength),
      format: "der",
      type: "spki",
    }),
  verify: (key, input, authenticator) =>
    verify(
      "sha384",
      input,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: TOKEN_SALT_LENGTH },
      authenticator,
    ),
  sha256: (bytes) => createHash("sha256").update(bytes).digest(),
};

/**
 * A token verifier on node:crypto, with the interface of `createTokenVerifier` from "@blindgate/sdk/protocol".
 * Throws DecodeError("ERR_KEY") for a key that is not an RSA-2048 SPKI (unless `skipInvalidKeys`).
 *
 * @example
 * ```ts
 * import { createNodeTokenVerifier } from "@blindgate/sdk/node";
 * const verifier = await createNodeTokenVerifier([{ spki: pkS, meta: { ageOver: 18 } }]);
 * const { meta } = await verifier.verify(tokenBytes, { challenge: challenge.encode() });
 * ```
 */
export const createNodeTokenVerifier: TokenVerifierFactory = (keys, options) =>
  createVerifierOn(nodeBackend, keys, options);
