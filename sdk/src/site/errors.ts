import type { GatewayErrorCode } from "../protocol/index.js";

/**
 * Stable error codes of the site gate. A code never changes meaning once published; the gate answers each with
 * the status in {@link GATE_ERROR_STATUS} and `{ "error": { "code", "message" } }` (a generic message for 5xx).
 */
export type GateErrorCode =
  | "ERR_CONFIG" // createAgeGate options are invalid (thrown at start-up, never for a request)
  | "ERR_BAD_REQUEST" // the proof request is not a JSON object { token } of the right size and type
  | "ERR_METHOD_NOT_ALLOWED" // the proof endpoint takes POST only
  | "ERR_CROSS_SITE" // a proof posted from another site (Sec-Fetch-Site: cross-site)
  | "ERR_MALFORMED_TOKEN" // the token is not base64url, or not a Token of type 0x0002
  | "ERR_UNKNOWN_KEY" // no trusted issuer lists the token's key (after a directory refresh)
  | "ERR_KEY_EXPIRED" // the token's key is past its not-after
  | "ERR_KEY_NOT_ANNOUNCED" // the issuer's key log does not announce the token's key, or its chain is broken
  | "ERR_KEY_SET" // the issuer's key log announces more than two live keys per threshold, or too short key epochs
  | "ERR_THRESHOLD_TOO_LOW" // the token's key proves a lower age than the gate asks
  | "ERR_OUTSIDE_BAND" // a band gate (13 to 17): the token's key reaches above the band (a threshold, or a wider band)
  | "ERR_INVALID_TOKEN" // the signature or the challenge digest does not verify
  | "ERR_TOKEN_REJECTED" // the gateway refused the token (already spent, or unknown to it)
  | "ERR_AGE_REQUIRED" // no proof and no valid age session: the 401 challenge
  | "ERR_NO_THRESHOLD" // no trusted issuer has a key for a threshold >= minAge (site misconfiguration)
  | "ERR_GATEWAY_UNAVAILABLE" // the gateway (directory or check) cannot be reached or answered 5xx/garbage: fail closed
  | "ERR_INTERNAL"; // an unexpected fault inside the gate: fail closed, generic answer

/** HTTP status of each code. */
export const GATE_ERROR_STATUS: Readonly<Record<GateErrorCode, number>> = {
  ERR_CONFIG: 500,
  ERR_BAD_REQUEST: 400,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_CROSS_SITE: 403,
  ERR_MALFORMED_TOKEN: 400,
  ERR_UNKNOWN_KEY: 403,
  ERR_KEY_EXPIRED: 403,
  ERR_KEY_NOT_ANNOUNCED: 403,
  ERR_KEY_SET: 403,
  ERR_THRESHOLD_TOO_LOW: 403,
  ERR_OUTSIDE_BAND: 403,
  ERR_INVALID_TOKEN: 403,
  ERR_TOKEN_REJECTED: 403,
  ERR_AGE_REQUIRED: 401,
  ERR_NO_THRESHOLD: 503,
  ERR_GATEWAY_UNAVAILABLE: 503,
  ERR_INTERNAL: 500,
};

/**
 * Base class of every error the site gate produces. Messages never carry token, cookie or key bytes.
 *
 * @example
 * ```ts
 * const result = await gate.check(request);
 * if (!result.ok && result.error?.code === "ERR_GATEWAY_UNAVAILABLE") metrics.count("age-gate.gateway-down");
 * ```
 */
export class GateError extends Error {
  override name = "GateError";
  readonly code: GateErrorCode;
  /** The gateway's own code, when this error comes from a gateway's answer (see docs/errors.md). */
  readonly gatewayCode: GatewayErrorCode | undefined;
  constructor(
    code: GateErrorCode,
    message: string,
    options: { cause?: unknown; gatewayCode?: GatewayErrorCode } = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.code = code;
    this.gatewayCode = options.gatewayCode;
  }

  /** The HTTP status the gate answers this error with. */
  get status(): number {
    return GATE_ERROR_STATUS[this.code];
  }
}
