import { type GatewayClient, GatewayClientError } from "../client/index.js";
import { type CheckAnswer, GATEWAY_ERRORS, GATEWAY_PATHS, type GatewayErrorCode } from "../protocol/index.js";
import { GateError, type GateErrorCode } from "./errors.js";

/*
 * The gateway's check function (docs/architecture.md): the only call a site makes per proof, and the one that
 * makes a token single-use everywhere.
 *
 *   POST {baseUrl}/v1/check
 *   Authorization: Bearer <site API key>
 *   { "token": base64url, "minAge": 18, "challenge"?: base64url }
 *   -> 200 { "valid": true, "ageOver": 18, "issuer": "...", "keyExpiresAt": "ISO date" }
 *   -> 4xx { "error": { "code", "message" } }
 *
 * Request and answer are the contract of sdk/src/protocol/gateway-api.ts, which the gateway's handler parses with
 * too; the call goes through the SDK's one gateway client (sdk/src/client/), which never retries a check. Fail closed: anything but a well-formed 200 with valid: true and ageOver >= minAge is a refusal.
 */

/**
 * The gate's code for each refusal of a token by the gateway (party "token" in the contract), so a site sees the
 * same code whether the gate or the gateway found the fault. Token codes the contract adds later are
 * ERR_TOKEN_REJECTED.
 */
export const TOKEN_REFUSALS: Readonly<Partial<Record<GatewayErrorCode, GateErrorCode>>> = {
  ERR_TOKEN_SPENT: "ERR_TOKEN_REJECTED",
  ERR_TOKEN_MALFORMED: "ERR_MALFORMED_TOKEN",
  ERR_TOKEN_UNKNOWN_KEY: "ERR_UNKNOWN_KEY",
  ERR_TOKEN_INVALID: "ERR_INVALID_TOKEN",
  ERR_TOKEN_BELOW_AGE: "ERR_THRESHOLD_TOO_LOW",
  ERR_TOKEN_INTERVAL: "ERR_OUTSIDE_BAND",
};

/** Path of the check function under the gateway's base URL. */
export const CHECK_PATH = GATEWAY_PATHS.check;

/** What the gateway confirmed about a spent token. */
export interface CheckResult {
  ageOver: number;
  /** Band tokens only: the upper end (exclusive) of the interval the token proves. */
  ageBelow?: number;
  issuer: string;
  keyExpiresAt: string;
}

/** Parameters of {@link checkWithGateway}. */
export interface CheckRequest {
  /** The issuer's gateway (its client carries the fetch and the time budget). */
  gateway: GatewayClient;
  siteKey: string;
  token: Uint8Array;
  minAge: number;
  /** For a band gate: the upper end (exclusive) the token's interval must stay below. */
  ageBelow?: number;
  /** Encoded TokenChallenge, when the token answers another challenge than the issuer's cross-origin one. */
  challenge?: Uint8Array;
}

/**
 * Ask the gateway to mark a token spent. Resolves only when the gateway accepted it; otherwise throws GateError:
 * a token refusal ({@link TOKEN_REFUSALS}: ERR_TOKEN_REJECTED when spent, ERR_UNKNOWN_KEY, ERR_INVALID_TOKEN,
 * ERR_THRESHOLD_TOO_LOW, ERR_MALFORMED_TOKEN), or ERR_GATEWAY_UNAVAILABLE (unreachable, slow, 5xx/429, a refusal
 * of the site itself, or an answer outside the contract). The gateway's own code is kept in `gatewayCode`.
 *
 * @example
 * ```ts
 * const gateway = new GatewayClient({ url: "https://gateway.example", timeoutMs: 5000 });
 * const { ageOver } = await checkWithGateway({ gateway, siteKey, token, minAge: 18 });
 * ```
 */
export async function checkWithGateway(request: CheckRequest): Promise<CheckResult> {
  let answer: CheckAnswer;
  try {
    answer = await request.gateway.check({
      siteKey: request.siteKey,
      token: request.token,
      minAge: request.minAge,
      ...(request.ageBelow === undefined ? {} : { ageBelow: request.ageBelow }),
      ...(request.challenge === undefined ? {} : { challenge: request.challenge }),
    });
  } catch (error) {
    throw refusalOf(error);
  }
  if (answer.ageOver < request.minAge) {
    throw new GateError("ERR_THRESHOLD_TOO_LOW", "check: the gateway reports a lower threshold than asked");
  }
  // The gateway checked the interval too; a band's answer must say it stays inside what was asked.
  if (
    request.ageBelow !== undefined &&
    !(answer.ageBelow !== undefined && answer.ageBelow <= request.ageBelow)
  ) {
    throw new GateError(
      "ERR_OUTSIDE_BAND",
      "check: the gateway reports an interval reaching above the band asked",
    );
  }
  const result: CheckResult = {
    ageOver: answer.ageOver,
    issuer: answer.issuer,
    keyExpiresAt: answer.keyExpiresAt,
  };
  if (answer.ageBelow !== undefined) result.ageBelow = answer.ageBelow;
  return result;
}

/** The gate's error for a failed check: the token's fault only when the contract says so, else fail closed. */
function refusalOf(error: unknown): GateError {
  if (!(error instanceof GatewayClientError)) {
    return new GateError("ERR_GATEWAY_UNAVAILABLE", "check: the gateway cannot be reached", { cause: error });
  }
  const code = error.gatewayCode;
  // Only a refusal the contract defines, with its own status, about the token, is the visitor's token's fault.
  // Everything else (the site's key refused or suspended, rate limits, 5xx, unknown codes) fails closed as the
  // gateway being unavailable to this site.
  if (code !== undefined && error.isContractRefusal && GATEWAY_ERRORS[code].party === "token") {
    return new GateError(
      TOKEN_REFUSALS[code] ?? "ERR_TOKEN_REJECTED",
      `check: ${GATEWAY_ERRORS[code].meaning}`,
      {
        gatewayCode: code,
      },
    );
  }
  if (code !== undefined && GATEWAY_ERRORS[code].party === "site") {
    // Said plainly, for the operator's log (the key itself is never written anywhere).
    return new GateError(
      "ERR_GATEWAY_UNAVAILABLE",
      `check: the gateway refused this site (${code}: ${GATEWAY_ERRORS[code].meaning}); check the issuer's siteKey`,
      { gatewayCode: code },
    );
  }
  if (error.code === "ERR_ANSWER") {
    return new GateError("ERR_GATEWAY_UNAVAILABLE", "check: the gateway answered an unexpected body", {
      cause: error,
    });
  }
  return new GateError(
    "ERR_GATEWAY_UNAVAILABLE",
    error.message,
    code === undefined ? { cause: error } : { gatewayCode: code, cause: error },
  );
}
