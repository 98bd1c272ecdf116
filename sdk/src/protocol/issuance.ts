import { BlindRsa, RSABSSA_SHA384_PSS_DETERMINISTIC } from "./blind-rsa/blind-rsa.js";
import { digest } from "./blind-rsa/emsa-pss.js";
import { concat, toHex, u16 } from "./bytes.js";
import { DecodeError, ProtocolError } from "./errors.js";
import { type ParsedRsaSpki, parseRsaSpki } from "./spki.js";
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
 * A key is parsed and its token_key_id hashed once (a small cache of public values), a challenge hashed once,
 * and a batch shares one modular inversion per key (beginIssuanceBatch / finishIssuanceBatch).
 */

const blindRsa = new BlindRsa(RSABSSA_SHA384_PSS_DETERMINISTIC);

/** A token key as the client uses it: parsed, and its token_key_id hashed, once per key. */
interface ClientKey {
  readonly pk: ParsedRsaSpki;
  readonly keyId: Promise<Uint8Array<ArrayBuffer>>;
}

/** Distinct keys and challenges remembered (public values only; a wallet sees a handful). */
const CACHE_SIZE = 16;
const keys = new Map<string, ClientKey>();
const challengeDigests = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

function remember<V>(cache: Map<string, V>, id: string, make: () => V): V {
  let value = cache.get(id);
  if (value === undefined) {
    value = make();
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(id, value);
  }
  return value;
}

/** The parsed key and its token_key_id, once per key. Throws DecodeError("ERR_KEY") for a non RSA-2048 SPKI. */
function clientKey(tokenKey: Uint8Array): ClientKey {
  return remember(keys, toHex(tokenKey), () => {
    const pk = parseRsaSpki(tokenKey);
    if (pk.modulusBytes !== BLIND_RSA_NK) throw new DecodeError("ERR_KEY", "token key: not an RSA-2048 key");
    // token_key_id = SHA256(pkI-enc)
    const keyId = tokenKeyId(tokenKey);
    keyId.catch(() => keys.delete(toHex(tokenKey)));
    return { pk, keyId };
  });
}

/** challenge_digest = SHA256(challenge), once per challenge. */
function challengeDigest(challenge: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return remember(challengeDigests, toHex(challenge), () => digest("SHA-256", challenge));
}

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

/** A TokenRequest for the issuer and the PendingToken to keep until its answer. */
export interface BegunToken {
  readonly request: TokenRequest;
  readonly pending: PendingToken;
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

/** Input of {@link beginIssuanceBatch}. */
export interface BeginIssuanceBatchInput {
  /** The encoded TokenChallenge (RFC 9577 §2.1) every token will answer. */
  challenge: Uint8Array;
  /** One token key per token wanted, in the order of the batch (repeat a key for several tokens of it). */
  tokenKeys: readonly Uint8Array[];
}

/**
 * Start issuing one token: a TokenRequest for the issuer and the PendingToken to keep until its answer.
 * Throws DecodeError("ERR_KEY") when the token key is not an RSA-2048 SPKI. For several tokens, use
 * {@link beginIssuanceBatch}: it shares the costly inversion across the batch.
 *
 * @example
 * ```ts
 * const { request, pending } = await beginIssuance({ challenge: challenge.encode(), tokenKey });
 * const response = TokenResponse.decode(await post(request.encode()));
 * const token = await finishIssuance(pending, response);
 * ```
 */
export async function beginIssuance(input: BeginIssuanceInput): Promise<BegunToken> {
  const [begun] = await begin(input.challenge, [input]);
  return begun!;
}

/**
 * Start issuing many tokens at once (a generic batch, draft-ietf-privacypass-batched-tokens): one TokenRequest
 * and PendingToken per entry of `tokenKeys`, in order. The challenge is hashed once, each distinct key parsed and
 * hashed once, and the blinds of each key share one modular inversion. Throws DecodeError("ERR_KEY") when a
 * token key is not an RSA-2048 SPKI.
 *
 * @example
 * ```ts
 * const begun = await beginIssuanceBatch({ challenge, tokenKeys: Array(20).fill(key18) });
 * const body = encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() })));
 * const items = decodeBatchResponse(await post(body));
 * const tokens = await finishIssuanceBatch(
 *   begun.map((b) => b.pending),
 *   items.map((item) => (item === null ? null : TokenResponse.decode(item.response))),
 * );
 * ```
 */
export async function beginIssuanceBatch(input: BeginIssuanceBatchInput): Promise<BegunToken[]> {
  return begin(
    input.challenge,
    input.tokenKeys.map((tokenKey) => ({ tokenKey })),
  );
}

type BeginItem = Omit<BeginIssuanceInput, "challenge">;

async function begin(challenge: Uint8Array, items: readonly BeginItem[]): Promise<BegunToken[]> {
  // The keys first: a bad one refuses the batch before anything random is drawn.
  const byKey = new Map<ClientKey, number[]>();
  items.forEach((item, i) => {
    const key = clientKey(item.tokenKey);
    byKey.set(key, [...(byKey.get(key) ?? []), i]);
  });
  // challenge_digest = SHA256(challenge)
  const digestOfChallenge = await challengeDigest(challenge);
  const out = new Array<BegunToken>(items.length);
  await Promise.all(
    [...byKey].map(async ([key, indices]) => {
      const keyId = await key.keyId;
      const truncated = truncatedTokenKeyId(keyId);
      const inputs = indices.map((i) => {
        const item = items[i]!;
        let nonce: Uint8Array;
        if (item.nonce === undefined) {
          // nonce = random(32)
          nonce = crypto.getRandomValues(new Uint8Array(TOKEN_FIELD_LENGTH));
        } else {
          if (item.nonce.length !== TOKEN_FIELD_LENGTH)
            throw new ProtocolError("ERR_INVALID_INPUT", "nonce: not 32 bytes");
          nonce = item.nonce;
        }
        // token_input = concat(0x0002, nonce, challenge_digest, token_key_id)
        return concat(u16(TOKEN_TYPE_BLIND_RSA), nonce, digestOfChallenge, keyId);
      });
      // blinded_msg, blind_inv = Blind(pkI, PrepareIdentity(token_input)), the inversions shared per key
      const blinded = await blindRsa.blindMany(
        key.pk,
        inputs.map((tokenInput) => blindRsa.prepare(tokenInput)),
        indices.map((i) => {
          const { salt, blind } = items[i]!;
          return { ...(salt === undefined ? {} : { salt }), ...(blind === undefined ? {} : { r: blind }) };
        }),
      );
      indices.forEach((i, j) => {
        out[i] = {
          // TokenRequest { 0x0002, truncated_token_key_id, blinded_msg }
          request: new TokenRequest(truncated, blinded[j]!.blindedMsg),
          pending: {
            tokenType: TOKEN_TYPE_BLIND_RSA,
            tokenKey: items[i]!.tokenKey.slice(),
            tokenInput: inputs[j]!,
            inv: blinded[j]!.inv,
          },
        };
      });
    }),
  );
  return out;
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
  return finish(pending, response);
}

/**
 * Finish a batch begun with {@link beginIssuanceBatch}: `responses[i]` answers `pending[i]`, null where the
 * issuer answered null (a 206 batch); the result has a Token where there was a response and null elsewhere. Each
 * signature is checked with one WebCrypto verify, all concurrently, under keys imported once. Throws
 * VerificationError("ERR_VERIFY") when any answer does not verify (a faulty or dishonest issuer: keep none), and
 * ProtocolError("ERR_INVALID_INPUT") when the two lists differ in length.
 *
 * @example
 * ```ts
 * const tokens = await finishIssuanceBatch(pending, responses); // (Token | null)[]
 * ```
 */
export async function finishIssuanceBatch(
  pending: readonly PendingToken[],
  responses: readonly (TokenResponse | null | undefined)[],
): Promise<(Token | null)[]> {
  if (pending.length !== responses.length) {
    throw new ProtocolError("ERR_INVALID_INPUT", "finish: one response per pending token");
  }
  return Promise.all(
    pending.map((p, i) => {
      const response = responses[i];
      return response === null || response === undefined ? null : finish(p, response);
    }),
  );
}

async function finish(pending: PendingToken, response: TokenResponse): Promise<Token> {
  if (
    pending.tokenType !== TOKEN_TYPE_BLIND_RSA ||
    pending.tokenInput.length !== TOKEN_AUTHENTICATOR_INPUT_LENGTH
  ) {
    throw new ProtocolError("ERR_INVALID_INPUT", "pending token: malformed");
  }
  const { pk } = clientKey(pending.tokenKey);
  // authenticator = Finalize(pkI, PrepareIdentity(token_input), blind_sig, blind_inv)
  const authenticator = await blindRsa.finalize(pk, pending.tokenInput, response.blindSig, pending.inv);
  // Token = token_input || authenticator
  return Token.decode(concat(pending.tokenInput, authenticator));
}
