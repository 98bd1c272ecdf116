/**
 * Stable error codes of the site gate. A code never changes meaning once published; the gate answers each with
 * the status in {@link GATE_ERROR_STATUS} and `{ "error": { "code", "message" } }` (a generic message for 5xx).
 */
export type GateErrorCode =
  | "CONFIG" // createAgeGate options are invalid (thrown at start-up, never for a request)
  | "BAD_REQUEST" // the proof request is not a JSON object { token } of the right size and type
  | "METHOD_NOT_ALLOWED" // the proof endpoint takes POST only
  | "CROSS_SITE" // a proof posted from another site (Sec-Fetch-Site: cross-site)
  | "MALFORMED_TOKEN" // the token is not base64url, or not a Token of type 0x0002
  | "UNKNOWN_KEY" // no trusted issuer lists the token's key (after a directory refresh)
  | "KEY_EXPIRED" // the token's key is past its not-after
  | "KEY_NOT_ANNOUNCED" // the issuer's key log does not announce the token's key, or its chain is broken
  | "THRESHOLD_TOO_LOW" // the token's key proves a lower age than the gate asks
  | "INVALID_TOKEN" // the signature or the challenge digest does not verify
  | "TOKEN_REJECTED" // the gateway refused the token (already spent, or unknown to it)
  | "AGE_REQUIRED" // no proof and no valid age session: the 401 challenge
  | "NO_THRESHOLD" // no trusted issuer has a key for a threshold >= minAge (site misconfiguration)
  | "GATEWAY_UNAVAILABLE" // the gateway (directory or check) cannot be reached or answered 5xx/garbage: fail closed
  | "INTERNAL"; // an unexpected fault inside the gate: fail closed, generic answer

/** HTTP status of each code. */
export const GATE_ERROR_STATUS: Readonly<Record<GateErrorCode, number>> = {
  CONFIG: 500,
  BAD_REQUEST: 400,
  METHOD_NOT_ALLOWED: 405,
  CROSS_SITE: 403,
  MALFORMED_TOKEN: 400,
  UNKNOWN_KEY: 403,
  KEY_EXPIRED: 403,
  KEY_NOT_ANNOUNCED: 403,
  THRESHOLD_TOO_LOW: 403,
  INVALID_TOKEN: 403,
  TOKEN_REJECTED: 403,
  AGE_REQUIRED: 401,
  NO_THRESHOLD: 503,
  GATEWAY_UNAVAILABLE: 503,
  INTERNAL: 500,
};

/**
 * Base class of every error the site gate produces. Messages never carry token, cookie or key bytes.
 *
 * @example
 * ```ts
 * const result = await gate.check(request);
 * if (!result.ok && result.error?.code === "GATEWAY_UNAVAILABLE") metrics.count("age-gate.gateway-down");
 * ```
 */
export class GateError extends Error {
  override name = "GateError";
  readonly code: GateErrorCode;
  constructor(code: GateErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** The HTTP status the gate answers this error with. */
  get status(): number {
    return GATE_ERROR_STATUS[this.code];
  }
}
