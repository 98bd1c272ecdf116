import * as z from "zod/mini";
import { toBase64Url } from "../protocol/index.js";
import { GateError } from "./errors.js";

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
 * Fail closed: anything but a well-formed 200 with valid: true and ageOver >= minAge is a refusal. A token the
 * gateway refuses (spent, unknown, wrong threshold) is TOKEN_REJECTED; a gateway that is down, slow, answering
 * 5xx or 429, or refusing the site key, is GATEWAY_UNAVAILABLE (the site answers 503, never a pass).
 */

/** Path of the check function under the gateway's base URL. */
export const CHECK_PATH = "/v1/check";

/** What the gateway confirmed about a spent token. */
export interface CheckResult {
  ageOver: number;
  issuer: string;
  keyExpiresAt: string;
}

/** Parameters of {@link checkWithGateway}. */
export interface CheckRequest {
  baseUrl: string;
  siteKey: string;
  token: Uint8Array;
  minAge: number;
  /** Encoded TokenChallenge, when the token answers another challenge than the issuer's cross-origin one. */
  challenge?: Uint8Array;
  fetch: typeof fetch;
  timeoutMs: number;
}

const checkOk = z.object({
  valid: z.boolean(),
  ageOver: z.int().check(z.minimum(1), z.maximum(150)),
  issuer: z.string().check(z.maxLength(1024)),
  keyExpiresAt: z.string().check(z.maxLength(64)),
});

/**
 * Ask the gateway to mark a token spent. Resolves only when the gateway accepted it; otherwise throws GateError
 * ("TOKEN_REJECTED" or "GATEWAY_UNAVAILABLE").
 *
 * @example
 * ```ts
 * const { ageOver } = await checkWithGateway({
 *   baseUrl: "https://gateway.example", siteKey, token, minAge: 18, fetch, timeoutMs: 5000,
 * });
 * ```
 */
export async function checkWithGateway(request: CheckRequest): Promise<CheckResult> {
  const body: { token: string; minAge: number; challenge?: string } = {
    token: toBase64Url(request.token),
    minAge: request.minAge,
  };
  if (request.challenge !== undefined) body.challenge = toBase64Url(request.challenge);
  let response: Response;
  let text: string;
  try {
    response = await request.fetch(`${request.baseUrl}${CHECK_PATH}`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${request.siteKey}`,
        "Content-Type": "application/json",
        Accept: "application/json",
      },
      body: JSON.stringify(body),
      redirect: "error",
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    text = await response.text();
  } catch (cause) {
    throw new GateError("GATEWAY_UNAVAILABLE", "check: the gateway cannot be reached", { cause });
  }
  const status = response.status;
  if (status === 401) {
    // 401 on the check route is about the site's API key, not the token: a configuration fault, fail closed.
    throw new GateError("GATEWAY_UNAVAILABLE", "check: the gateway refused the site key");
  }
  if (status === 403 && /SITE/.test(errorCode(text) ?? "SITE")) {
    // A suspended or unknown site: also the site's configuration, not the visitor's token.
    throw new GateError("GATEWAY_UNAVAILABLE", "check: the gateway refused this site");
  }
  if (status === 429 || status >= 500 || (status < 400 && status !== 200)) {
    // Rate limited, down, or an answer the contract does not have (redirects are refused by fetch already).
    throw new GateError("GATEWAY_UNAVAILABLE", `check: the gateway answered ${status}`);
  }
  if (status !== 200) {
    const code = errorCode(text) ?? "no code";
    throw new GateError("TOKEN_REJECTED", `check: the gateway refused the token (${status}, ${code})`);
  }
  let parsed: z.infer<typeof checkOk>;
  try {
    parsed = checkOk.parse(JSON.parse(text));
  } catch (cause) {
    throw new GateError("GATEWAY_UNAVAILABLE", "check: the gateway answered an unexpected body", { cause });
  }
  if (!parsed.valid) throw new GateError("TOKEN_REJECTED", "check: the gateway found the token invalid");
  if (parsed.ageOver < request.minAge) {
    throw new GateError("THRESHOLD_TOO_LOW", "check: the gateway reports a lower threshold than asked");
  }
  return { ageOver: parsed.ageOver, issuer: parsed.issuer, keyExpiresAt: parsed.keyExpiresAt };
}

/** The stable `error.code` of a gateway error body, if it has one that looks like a code. */
function errorCode(text: string): string | undefined {
  try {
    const json: unknown = JSON.parse(text);
    const code = z
      .object({ error: z.object({ code: z.string().check(z.regex(/^[A-Z0-9_]{1,64}$/)) }) })
      .parse(json);
    return code.error.code;
  } catch {
    return undefined;
  }
}
