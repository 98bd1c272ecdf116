import { GATEWAY_ERRORS, type GatewayErrorCode, type GatewayErrorParty } from "@blindgate/sdk/protocol";

/*
 * The gateway's domain errors, beside the services and the issuer that throw them: a GatewayError carries a code
 * of the gateway contract (sdk/src/protocol/gateway-api.ts) and nothing about HTTP but the status that contract
 * gives the code; the HTTP edge (http/boundary.ts) turns it into an answer, in one place. Messages never echo input bytes, tokens, grants or keys: they are safe to send and to log.
 */

/** Codes of one party of the contract (e.g. the grant's codes). */
export type CodeOf<P extends GatewayErrorParty> = {
  [C in GatewayErrorCode]: (typeof GATEWAY_ERRORS)[C]["party"] extends P ? C : never;
}[GatewayErrorCode];

/**
 * A refusal or fault with a stable code of the gateway contract.
 *
 * @example
 * ```ts
 * throw new GatewayError("ERR_TOKEN_SPENT", "this token was used already");
 * ```
 */
export class GatewayError extends Error {
  override name = "GatewayError";
  readonly code: GatewayErrorCode;
  /** Extra response headers (WWW-Authenticate, Allow, Retry-After). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    code: GatewayErrorCode,
    message: string,
    options: { headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.code = code;
    this.headers = options.headers ?? {};
  }

  /** The status the contract gives this code. */
  get status(): number {
    return GATEWAY_ERRORS[this.code].status;
  }
}

/**
 * A grant refusal (ERR_GRANT_*, ERR_PROVIDER_*): thrown by issuer/grants.ts, answered with `WWW-Authenticate`
 * for the 401s.
 */
export class GrantError extends GatewayError {
  override name = "GrantError";
  constructor(code: CodeOf<"grant" | "provider">, message: string) {
    super(
      code,
      message,
      GATEWAY_ERRORS[code].status === 401
        ? { headers: { "www-authenticate": 'Bearer error="invalid_token"' } }
        : {},
    );
  }
}

/**
 * A store (DynamoDB) or KMS that cannot be reached, throttles, or times out: answered 503 ERR_UNAVAILABLE with
 * Retry-After. Thrown before anything is written, or by the single write that decides (which then did not happen
 * or is retried by the client with the same effect).
 */
export class UnavailableError extends GatewayError {
  override name = "UnavailableError";
  constructor(what: string, cause?: unknown) {
    super("ERR_UNAVAILABLE", `${what} unavailable`, { headers: { "retry-after": "2" }, cause });
  }
}
