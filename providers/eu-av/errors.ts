/**
 * Stable error codes of the EU age-verification provider. A code never changes meaning once published; the HTTP
 * status of each is set at the edge (handler.ts), nowhere else.
 */
export type EuAvErrorCode =
  // the request itself
  | "ERR_BAD_REQUEST" // a body or query that does not parse
  | "ERR_MEDIA_TYPE" // not the media type the route takes
  | "ERR_BODY_TOO_LARGE"
  | "ERR_METHOD"
  | "ERR_NOT_FOUND"
  | "ERR_WALLET_ORIGIN" // a wallet origin this provider does not serve
  | "ERR_BAND" // a band this provider does not attest
  | "ERR_RATE_LIMITED" // too many sessions opened from one address in the current minute
  // the presentation session (nonce and state)
  | "ERR_SESSION_UNKNOWN" // no such session, or not this page's secret
  | "ERR_SESSION_EXPIRED" // the request's lifetime is over
  | "ERR_SESSION_USED" // the nonce/state was answered already (replay), or the grant was collected already
  // the presentation
  | "ERR_VP_TOKEN" // vp_token is not one presentation for our DCQL credential query
  | "ERR_ENCRYPTED_RESPONSE" // an org-iso-mdoc answer that is not an EncryptedResponse opening with this request's key
  | "ERR_MDOC_MALFORMED" // not a DeviceResponse (CBOR, structure, version), or not exactly one document
  | "ERR_DOCTYPE" // a document other than eu.europa.ec.av.1
  | "ERR_NAMESPACE" // elements outside the AV namespace
  | "ERR_EXTRA_CLAIMS" // elements other than age_over_NN, or device-signed elements
  | "ERR_ISSUER_UNTRUSTED" // the document signer does not chain to a trusted IACA (or its chain is not valid now)
  | "ERR_ISSUER_SIGNATURE" // the MSO's signature does not verify with the document signer's key
  | "ERR_VALIDITY" // the MSO is not valid now, or was signed outside its signer's validity
  | "ERR_DIGEST" // a disclosed element does not match its digest in the MSO
  | "ERR_DEVICE_SIGNATURE" // no device key, MAC instead of signature, or the signature over the transcript fails
  | "ERR_AGE_CLAIMS" // no age_over claim, a non-boolean one, or claims that contradict each other
  | "ERR_UNDER_AGE"; // valid, but no configured threshold is met

/**
 * The outcome codes of an Authorization Error Response from the holder's app (OpenID4VP 1.0 §8.2). Not HTTP
 * refusals (the app is answered 200): they are what the page shows and the wallet receives instead of a grant.
 */
export type WalletAnswerCode =
  | "ERR_WALLET_DECLINED" // the app answered access_denied: the person declined to share
  | "ERR_WALLET_ERROR"; // the app answered another error (its OAuth error code is shown beside)

/**
 * Base class of every error the EU AV provider throws on purpose. Messages never carry input bytes, keys or grants.
 *
 * @example
 * ```ts
 * try {
 *   await verifyAgePresentation(bytes, options);
 * } catch (e) {
 *   if (e instanceof EuAvError && e.code === "ERR_UNDER_AGE") return refuse("UNDER_AGE");
 *   throw e;
 * }
 * ```
 */
export class EuAvError extends Error {
  override name = "EuAvError";
  readonly code: EuAvErrorCode;
  constructor(code: EuAvErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * A deployment that cannot start: a variable of the environment is missing or bad. The message names the variable
 * and what is wrong with it, never its value (one of them is the grant key). Not an EuAvError: no HTTP client
 * ever sees it (the handler answers a generic 500 and logs the message for the operator).
 *
 * @example
 * ```ts
 * throw new EuAvConfigError("EU_AV_SESSIONS_TABLE", "is missing");
 * ```
 */
export class EuAvConfigError extends Error {
  override name = "EuAvConfigError";
  readonly code = "ERR_CONFIG";
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
  }
}
