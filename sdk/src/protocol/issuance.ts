import { BlindRsa, RSABSSA_SHA384_PSS_DETERMINISTIC } from "./blind-rsa/blind-rsa.js";
import { digest } from "./blind-rsa/emsa-pss.js";
import { concat, u16 } from "./bytes.js";
import { DecodeError, ProtocolError } from "./errors.js";
import { parseRsaSpki } from "./spki.js";
import { TOKEN_AUTHENTICATOR_INPUT_LENGTH, TOKEN_FIELD_LENGTH, Token } from "./token.js";
import { tokenKeyId, truncatedTokenKeyId } from "./token-key.js";
import { BLIND_RSA_NK, TOKEN_TYPE_BLIND_RSA, TokenRequest } from "./token-request.js";
import type { TokenResponse } from "./token-response.js";

/*
 * RFC 9578 §6, issuance of token type 0x0002 — the client side (the wallet), browser-safe:
 *
 *   nonce = random(32)
 *   challenge_digest = SHA256(challenge)
 *   token_input = concat(0x0002, nonce, challenge_digest, token_key_id)
 *   blinded_msg, blind_inv = Blind(pkI, PrepareIdentity(token_input))          (§6.1)
 *   ...issuer: blind_sig = BlindSign(skI, blinded_msg)                        (§6.2)
 *   authenticator = Finalize(pkI, PrepareIdentity(token_input), blind_sig, blind_inv)
 *   token = Token { 0x0002, nonce, challenge_digest, token_key_id, authenticator }   (§6.3)
 *
 * with RSABSSA-SHA384-PSS-Deterministic (salt length 48) and token_key_id = SHA-256 of the RSASSA-PSS SPKI.
 */

const blindRsa = new BlindRsa(RSABSSA_SHA384_PSS_DETERMINISTIC);

/**
 * What the client keeps between a TokenRequest and its TokenResponse. Plain Uint8Arrays and numbers only, so it
 * survives structured clone (IndexedDB, postMessage). `inv` is secret: whoever holds it can link the request to
 * the token, so keep it no longer than the issuance.
 */
export interface PendingToken {
  readonly tokenType: 2;
  /** The issuer's token key (SPKI) the request was blinded under. */
  readonly tokenKey: Uint8Array;
  /** token_input: token_type, nonce, challenge_digest, token_key_id (98 bytes). */
  readonly tokenInput: Uint8Array;
  /** blind_inv, Nk bytes. */
  readonly inv: Uint8Array;
}

/** Input of {@link beginIssuance}. */
export interface BeginIssuanceInput {
  /** The encoded TokenChallenge (RFC 9577 §2.1) the token will answer. */
  challenge: Uint8Array;
  /** The issuer's token key, an RSA-2048 SPKI (RSASSA-PSS as in the directory, or rsaEncryption). */
  tokenKey: Uint8Array;
  /** Injected nonce (32 bytes), for test vectors only. */
  nonce?: Uint8Array;
  /** Injected EMSA-PSS salt (48 bytes), for test vectors only. */
  salt?: Uint8Array;
  /** Injected blind r (Nk bytes; RFC 9578's vectors call it "blind"), for test vectors only. */
  blind?: Uint8Array;
}

/**
 * Start issuing one token: a TokenRequest for the issuer and the PendingToken to keep until its answer.
 * Throws DecodeError("ERR_KEY") when the token key is not an RSA-2048 SPKI.
 *
 * @example
 * ```ts
 * const { request, pending } = await beginIssuance({ challenge: challenge.encode(), tokenKey });
 * const response = TokenResponse.decode(await post(request.encode()));
 * const token = await finishIssuance(pending, response);
 * ```
 */
export async function beginIssuance(
  input: BeginIssuanceInput,
): Promise<{ request: TokenRequest; pending: PendingToken }> {
  const pk = parseRsaSpki(input.tokenKey);
  if (pk.modulusBytes !== BLIND_RSA_NK) throw new DecodeError("ERR_KEY", "token key: not an RSA-2048 key");
  let nonce: Uint8Array;
  if (input.nonce === undefined) {
    // nonce = random(32)
    nonce = crypto.getRandomValues(new Uint8Array(TOKEN_FIELD_LENGTH));
  } else {
    if (input.nonce.length !== TOKEN_FIELD_LENGTH)
      throw new ProtocolError("ERR_INVALID_INPUT", "nonce: not 32 bytes");
    nonce = input.nonce;
  }
  // challenge_digest = SHA256(challenge); token_key_id = SHA256(pkI-enc)
  const [challengeDigest, keyId] = await Promise.all([
    digest("SHA-256", input.challenge),
    tokenKeyId(input.tokenKey),
  ]);
  // token_input = concat(0x0002, nonce, challenge_digest, token_key_id)
  const tokenInput = concat(u16(TOKEN_TYPE_BLIND_RSA), nonce, challengeDigest, keyId);
  // blinded_msg, blind_inv = Blind(pkI, PrepareIdentity(token_input))
  const blinded = await blindRsa.blind(pk, blindRsa.prepare(tokenInput), {
    ...(input.salt === undefined ? {} : { salt: input.salt }),
    ...(input.blind === undefined ? {} : { r: input.blind }),
  });
  // TokenRequest { 0x0002, truncated_token_key_id, blinded_msg }
  const request = new TokenRequest(truncatedTokenKeyId(keyId), blinded.blindedMsg);
  return {
    request,
    pending: {
      tokenType: TOKEN_TYPE_BLIND_RSA,
      tokenKey: input.tokenKey.slice(),
      tokenInput,
      inv: blinded.inv,
    },
  };
}

/**
 * Finish issuing: unblind the issuer's TokenResponse into a Token and check it (RFC 9578 §6.3). Throws
 * VerificationError("ERR_VERIFY") when the issuer's answer does not verify under the token key.
 *
 * @example
 * ```ts
 * const token = await finishIssuance(pending, TokenResponse.decode(body));
 * const header = formatAuthorization(token.encode());
 * ```
 */
export async function finishIssuance(pending: PendingToken, response: TokenResponse): Promise<Token> {
  if (
    pending.tokenType !== TOKEN_TYPE_BLIND_RSA ||
    pending.tokenInput.length !== TOKEN_AUTHENTICATOR_INPUT_LENGTH
  ) {
    throw new ProtocolError("ERR_INVALID_INPUT", "pending token: malformed");
  }
  const pk = parseRsaSpki(pending.tokenKey);
  // authenticator = Finalize(pkI, PrepareIdentity(token_input), blind_sig, blind_inv)
  const authenticator = await blindRsa.finalize(pk, pending.tokenInput, response.blindSig, pending.inv);
  // Token = token_input || authenticator
  return Token.decode(concat(pending.tokenInput, authenticator));
}
