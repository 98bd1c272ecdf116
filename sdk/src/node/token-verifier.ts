import { constants, createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import { VerificationError } from "../protocol/errors.js";
import type { Token } from "../protocol/token.js";
import {
  ChallengeDigestCache,
  checkChallengeDigest,
  checkTokenShape,
  type ExpectedChallenge,
  findKey,
  indexKeys,
  TOKEN_SALT_LENGTH,
  type TokenVerifier,
  type TokenVerifierKey,
  type TokenVerifierOptions,
  type VerifiedToken,
} from "../protocol/verify.js";

/*
 * The site's hot path on Node: the same checks as the WebCrypto verifier of "@blindgate/sdk/protocol"
 * (RFC 9578 §6.4: token type, full token_key_id, challenge_digest in constant time, RSASSA-PSS SHA-384 /
 * MGF1-SHA-384 / salt 48 over token_input), with one KeyObject per key made up front and OpenSSL's one-shot
 * crypto.verify. Challenge digests are cached by challenge bytes.
 */

const PSS_PADDING = constants.RSA_PKCS1_PSS_PADDING;

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
export async function createNodeTokenVerifier<M>(
  keys: readonly TokenVerifierKey<M>[],
  options: TokenVerifierOptions = {},
): Promise<TokenVerifier<M>> {
  const byId = await indexKeys<M, KeyObject>(keys, options, (spki) =>
    createPublicKey({
      key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength),
      format: "der",
      type: "spki",
    }),
  );
  const digests = new ChallengeDigestCache((bytes) => createHash("sha256").update(bytes).digest());
  return {
    async verify(token: Token | Uint8Array, expected: ExpectedChallenge): Promise<VerifiedToken<M>> {
      const parts = checkTokenShape(token);
      const entry = findKey(byId, parts.keyId);
      let expectedDigest: Uint8Array;
      if ("challengeDigest" in expected) expectedDigest = expected.challengeDigest;
      else {
        expectedDigest =
          digests.lookup(expected.challenge) ??
          digests.store(expected.challenge, createHash("sha256").update(expected.challenge).digest());
      }
      checkChallengeDigest(parts.challengeDigest, expectedDigest);
      const ok = verify(
        "sha384",
        parts.input,
        { key: entry.key, padding: PSS_PADDING, saltLength: TOKEN_SALT_LENGTH },
        parts.authenticator,
      );
      if (!ok) throw new VerificationError("ERR_VERIFY", "token: signature does not verify");
      return { tokenKeyId: entry.id.slice(), meta: entry.meta };
    },
  };
}
