import { GATEWAY_ERRORS, type GatewayErrorCode } from "../protocol/index.js";

/** Why a call to the gateway failed. */
export type GatewayClientErrorCode =
  /** The client's options are invalid (a base URL that is not http(s), a timeout out of range). */
  | "ERR_CLIENT_CONFIG"
  /** No answer: the network failed or the call's time budget ran out, retries included. */
  | "ERR_UNREACHABLE"
  /** The gateway answered with a status the route does not succeed with; `status` and `gatewayCode` say which. */
  | "ERR_STATUS"
  /** A success status with a body outside the contract (the route's schema). */
  | "ERR_ANSWER"
  /** The key log's hash chain does not verify: it was rewritten or truncated. */
  | "ERR_KEY_LOG_BROKEN"
  /** The key log announces an unbounded key set (too many live keys per interval and kind, or short epochs). */
  | "ERR_KEY_SET";

/** What a {@link GatewayClientError} may carry beside its code. */
export interface GatewayClientErrorDetails {
  cause?: unknown;
  /** The HTTP status of the gateway's answer, when there was one. */
  status?: number;
  /** The gateway's own code, when the answer's body carried one of the contract's codes. */
  gatewayCode?: GatewayErrorCode;
  /** The answer's Retry-After (delta-seconds form), in milliseconds. */
  retryAfterMs?: number;
}

/**
 * A failed call to the gateway, with a stable code. Never carries a token, a grant or a site key.
 *
 * @example
 * ```ts
 * try {
 *   await client.check({ siteKey, token, minAge: 18 });
 * } catch (error) {
 *   if (error instanceof GatewayClientError && error.gatewayCode === "ERR_TOKEN_SPENT") console.log("used already");
 * }
 * ```
 */
export class GatewayClientError extends Error {
  override readonly name = "GatewayClientError";
  readonly code: GatewayClientErrorCode;
  readonly status: number | undefined;
  readonly gatewayCode: GatewayErrorCode | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: GatewayClientErrorCode, message: string, details: GatewayClientErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.gatewayCode = details.gatewayCode;
    this.retryAfterMs = details.retryAfterMs;
  }

  /**
   * True when the answer is a refusal exactly as the contract defines it: one of its codes, with that code's
   * status. Anything else (a proxy's 502, an unknown code, a code with the wrong status) is not the gateway
   * speaking its contract, and callers fail closed on it.
   *
   * @example
   * ```ts
   * if (error.isContractRefusal && GATEWAY_ERRORS[error.gatewayCode!].party === "token") refuseTheToken();
   * ```
   */
  get isContractRefusal(): boolean {
    return this.gatewayCode !== undefined && GATEWAY_ERRORS[this.gatewayCode].status === this.status;
  }
}
