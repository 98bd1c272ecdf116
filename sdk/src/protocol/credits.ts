import {
  decodeCreditCredential,
  decodePreIssuanceState,
  decodePreRefundState,
  encodeCreditCredential,
  encodePreIssuanceState,
  encodePreRefundState,
  scalarToCredit,
} from "./act/credential.js";
import { createIssuanceRequest, finalizeIssuance } from "./act/issuance.js";
import { decodeActPublicKey } from "./act/keys.js";
import { type ActParams, actParams } from "./act/params.js";
import { finalizeRefund } from "./act/refund.js";
import { proveSpend } from "./act/spend.js";
import {
  decodeIssuanceResponse,
  decodeRefund,
  decodeSpendProof,
  encodeIssuanceRequest,
  encodeSpendProof,
} from "./act/wire.js";
import { toHex } from "./bytes.js";

/*
 * blindgate's profile of Anonymous Credit Tokens (draft-schlesinger-cfrg-act, ACT_ristretto255_SHAKE128): the
 * parameters both ends derive from the issuer name, and the client's four steps on bytes, as the wallet stores and
 * sends them (POST /v1/credential, POST /v1/refill in gateway-api.ts).
 *
 *   grant  -> credential:  beginCredential -> gateway issueCredential -> finishCredential
 *   refill -> k tokens:    beginRefill (spend k credits) -> gateway verifySpend + sign + issueRefund -> finishRefill
 *
 * ctx is 0: the credential's key says its threshold and lifetime; nothing else rides in the credential.
 */

/** Bits of a credit balance: at most 255 credits per credential. */
export const CREDIT_BITS = 8;

const paramsByIssuer = new Map<string, ActParams>();

/**
 * The ACT parameters of an issuer (computed once per issuer name).
 *
 * @example
 * ```ts
 * const params = creditParams("gateway.example");
 * ```
 */
export function creditParams(issuerName: string): ActParams {
  let params = paramsByIssuer.get(issuerName);
  if (params === undefined) {
    params = actParams(`ACT-v1:blindgate:credits:${issuerName}`, CREDIT_BITS);
    paramsByIssuer.set(issuerName, params);
  }
  return params;
}

/**
 * The id of a credit key: hex SHA-256 of its 32-byte ACT public key (as token keys are named by their SPKI's).
 *
 * @example
 * ```ts
 * const id = await creditKeyId(directory.creditKeys[0].actKey);
 * ```
 */
export async function creditKeyId(actKey: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", actKey.slice())));
}

/**
 * Client, step 1 of a credential: the IssuanceRequest to send and the state to keep until the answer.
 *
 * @example
 * ```ts
 * const { request, state } = beginCredential(params);
 * ```
 */
export function beginCredential(params: ActParams): { request: Uint8Array; state: Uint8Array } {
  const { request, state } = createIssuanceRequest(params);
  return { request: encodeIssuanceRequest(request), state: encodePreIssuanceState(state) };
}

/**
 * Client, step 2: the credential (encoded, for storage) from the gateway's IssuanceResponse. Throws ActError when
 * the response does not verify under the key.
 *
 * @example
 * ```ts
 * const credential = finishCredential(params, creditKey.actKey, state, fromBase64Url(answer.credit));
 * ```
 */
export function finishCredential(
  params: ActParams,
  actKey: Uint8Array,
  state: Uint8Array,
  response: Uint8Array,
): Uint8Array {
  const credential = finalizeIssuance(
    params,
    decodeActPublicKey(actKey),
    decodePreIssuanceState(state),
    decodeIssuanceResponse(response),
  );
  return encodeCreditCredential(credential);
}

/**
 * The balance of an encoded credential, in credits.
 *
 * @example
 * ```ts
 * if (creditBalance(params, stored) >= 5) await refill(5);
 * ```
 */
export function creditBalance(params: ActParams, credential: Uint8Array): number {
  return Number(scalarToCredit(decodeCreditCredential(credential).c, params.L));
}

/**
 * Client, step 1 of a refill: a spend proof for `credits` and the state to keep until the refund. Keep the state
 * (and the proof) until the refund is in: a retry of the same request is answered with the same refund.
 *
 * @example
 * ```ts
 * const { proof, state } = beginRefill(params, credential, 5);
 * ```
 */
export function beginRefill(
  params: ActParams,
  credential: Uint8Array,
  credits: number,
): { proof: Uint8Array; state: Uint8Array } {
  const { proof, state } = proveSpend(params, decodeCreditCredential(credential), BigInt(credits));
  return { proof: encodeSpendProof(proof), state: encodePreRefundState(state) };
}

/**
 * Client, step 2 of a refill: the change credential from the gateway's Refund. Throws ActError when it does not
 * verify.
 *
 * @example
 * ```ts
 * const next = finishRefill(params, creditKey.actKey, proof, state, fromBase64Url(answer.refund));
 * ```
 */
export function finishRefill(
  params: ActParams,
  actKey: Uint8Array,
  proof: Uint8Array,
  state: Uint8Array,
  refund: Uint8Array,
): Uint8Array {
  const credential = finalizeRefund(
    params,
    decodeActPublicKey(actKey),
    decodeSpendProof(params, proof),
    decodePreRefundState(state),
    decodeRefund(refund),
  );
  return encodeCreditCredential(credential);
}
