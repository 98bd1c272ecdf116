import { defaultVerifierFactory } from "#default-verifier";
import { formatWwwAuthenticate, parseAuthorization, type WwwAuthenticateEntry } from "../protocol/index.js";
import { buildChallenges } from "./challenge.js";
import { GateError } from "./errors.js";
import { KeyLogCheck } from "./key-log-check.js";
import { IssuerKeys } from "./key-ring.js";
import { LoggedKeys } from "./logged-keys.js";
import { isOperatorError, logDetails } from "./logger.js";
import { type AgeGateOptions, resolveOptions } from "./options.js";
import { readProofRequest } from "./proof-request.js";
import { redeemToken } from "./redeem.js";
import { newNonce, pageLang, prefersHtml, refusalPageCsp, renderRefusalPage } from "./refusal-page.js";
import { errorResponse, jsonResponse, NO_STORE, toGateError } from "./responses.js";
import { createSessionCodec } from "./session.js";

/*
 * The age gate over the Fetch API (Request -> Response): runs on Node 20+, Deno, Bun, Cloudflare Workers, Lambda.
 * A request passes when it carries a valid age session cookie for a threshold >= minAge, or an
 * `Authorization: PrivateToken token=...` that verifies and is spent at the gateway (the cookie is then set on
 * that response). Otherwise it gets the 401 PrivateToken challenge. The browser part posts tokens to the proof
 * endpoint instead and gets `{ ok: true, ageOver }` with the cookie.
 */

/** A request that passed, or the response to send instead. */
export type GateResult =
  | {
      ok: true;
      /** The threshold met (>= minAge). */
      ageOver: number;
      /** Set when a token was redeemed on this request: append it to your response as `Set-Cookie`. */
      setCookie?: string;
    }
  | {
      ok: false;
      /** 401 with the PrivateToken challenge, or 503 when the gateway is unreachable. */
      response: Response;
      /** Why: AGE_REQUIRED, a token refusal code, GATEWAY_UNAVAILABLE, ... */
      error: GateError;
    };

/** What a gated handler learns about the person: the threshold met. */
export interface AgeContext {
  ageOver: number;
}

/** A Fetch API handler behind the gate. */
export type GatedHandler = (request: Request, context: AgeContext) => Response | Promise<Response>;

/** An age gate; see {@link createAgeGate}. */
export interface AgeGate {
  /** The age this gate asks for. */
  readonly minAge: number;
  /** Path of the proof endpoint. */
  readonly proofPath: string;
  /** Is this request over minAge? Never throws; fails closed. */
  check(request: Request): Promise<GateResult>;
  /** The proof endpoint: takes `{ token }` JSON, answers `{ ok: true, ageOver }` with the session cookie. */
  handleProof(request: Request): Promise<Response>;
  /** Gate a whole route; requests to proofPath are answered by handleProof. */
  protect(handler: GatedHandler): (request: Request) => Promise<Response>;
}

/**
 * Create an age gate for a site server.
 *
 * @example
 * ```ts
 * import { createAgeGate } from "@blindgate/sdk/site";
 *
 * const gate = createAgeGate({
 *   issuers: { url: "https://gateway.example", siteKey: process.env.BLINDGATE_SITE_KEY ?? "" },
 *   minAge: 18,
 *   session: { secret: process.env.AGE_SESSION_SECRET ?? "" }, // >= 32 bytes
 * });
 *
 * export default {
 *   fetch: gate.protect((request, { ageOver }) => new Response(`over ${ageOver}`)),
 * };
 * ```
 */
export function createAgeGate(options: AgeGateOptions): AgeGate {
  const resolved = resolveOptions(options);
  const { minAge, proofPath, now, logger } = resolved;
  const session = createSessionCodec(options.session, { logger });
  const factory = options.verifier ?? defaultVerifierFactory;
  const ring = new IssuerKeys(resolved.issuers, factory);
  const loggedKeys = new LoggedKeys(factory);
  const keyLog = new KeyLogCheck({ now, minEpochSeconds: resolved.minKeyEpochSeconds });

  /** Tell the operator (logger) and the onError hook; neither may break the answer. */
  const report = (error: GateError): void => {
    if (error.code === "ERR_AGE_REQUIRED") return;
    try {
      if (isOperatorError(error))
        logger.error(`blindgate: ${error.code}: ${error.message}`, logDetails(error));
      options.onError?.(error);
    } catch {
      // A logger or hook that throws does not change what the visitor gets.
    }
  };

  const redeem = (token: Uint8Array) =>
    redeemToken(token, {
      ring,
      keyLog,
      loggedKeys,
      minAge,
      nowMs: now(),
    });

  const refuse = async (error: GateError, staleCookie: boolean, request: Request): Promise<GateResult> => {
    report(error);
    const headers = new Headers();
    // A session cookie that is not valid (tampered, expired) is deleted with the refusal. A valid one for a lower
    // threshold stays: it may open another section of the site that asks for less.
    if (staleCookie) headers.append("Set-Cookie", session.clear());
    if (error.status >= 500)
      return { ok: false, error, response: refusal(error, error.status, headers, request) };
    let challenges: WwwAuthenticateEntry[];
    try {
      challenges = await buildChallenges(resolved.issuers, minAge, now());
    } catch (cause) {
      const failure = toGateError(cause);
      report(failure);
      return { ok: false, error: failure, response: refusal(failure, failure.status, headers, request) };
    }
    headers.set("WWW-Authenticate", formatWwwAuthenticate(challenges));
    return { ok: false, error, response: refusal(error, 401, headers, request) };
  };

  /** The refusal's answer: JSON, or the HTML refusal page for a browser navigating when the option is set. */
  const refusal = (error: GateError, status: number, headers: Headers, request: Request): Response => {
    const page = resolved.refusalPage;
    if (page === undefined || !prefersHtml(request.headers.get("Accept"))) {
      return errorResponse(error, { status, headers });
    }
    const nonce = newNonce();
    const context = {
      minAge,
      status,
      code: error.code,
      lang: page.lang ?? pageLang(request.headers.get("Accept-Language")),
      proofPath,
      walletUrl: page.walletUrl,
      browserModuleUrl: page.browserModuleUrl,
      nonce,
    };
    headers.set("Content-Type", "text/html; charset=utf-8");
    headers.set("Cache-Control", NO_STORE);
    headers.set("Content-Security-Policy", refusalPageCsp(nonce, page.browserModuleUrl));
    headers.set("Vary", "Accept, Accept-Language");
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("Referrer-Policy", "no-referrer");
    return new Response((page.render ?? renderRefusalPage)(context), { status, headers });
  };

  async function check(request: Request): Promise<GateResult> {
    const cookieHeader = request.headers.get("Cookie");
    let staleCookie = false;
    try {
      const authorization = request.headers.get("Authorization");
      if (authorization !== null && /^\s*privatetoken(\s|$)/i.test(authorization)) {
        let token: Uint8Array;
        try {
          token = parseAuthorization(authorization);
        } catch (cause) {
          throw new GateError("ERR_MALFORMED_TOKEN", "Authorization: not a PrivateToken credential", {
            cause,
          });
        }
        const { ageOver } = await redeem(token);
        return { ok: true, ageOver, setCookie: await session.issue(ageOver, now()) };
      }
      const ageOver = await session.read(cookieHeader, now());
      if (ageOver !== undefined && ageOver >= minAge) return { ok: true, ageOver };
      staleCookie = ageOver === undefined && hasCookie(cookieHeader, session.cookieName);
      return await refuse(
        new GateError("ERR_AGE_REQUIRED", `proof of age ${minAge}+ required`),
        staleCookie,
        request,
      );
    } catch (error) {
      return refuse(toGateError(error), staleCookie, request);
    }
  }

  async function handleProof(request: Request): Promise<Response> {
    try {
      const token = await readProofRequest(request);
      const { ageOver } = await redeem(token);
      const headers = new Headers({ "Set-Cookie": await session.issue(ageOver, now()) });
      return jsonResponse({ ok: true, ageOver }, headers);
    } catch (error) {
      const gateError = toGateError(error);
      report(gateError);
      const headers = gateError.code === "ERR_METHOD_NOT_ALLOWED" ? { Allow: "POST" } : {};
      return errorResponse(gateError, { headers });
    }
  }

  function protect(handler: GatedHandler): (request: Request) => Promise<Response> {
    return async (request) => {
      if (pathOf(request) === proofPath) return handleProof(request);
      const result = await check(request);
      if (!result.ok) return result.response;
      const response = await handler(request, { ageOver: result.ageOver });
      return result.setCookie === undefined ? response : withSetCookie(response, result.setCookie);
    };
  }

  return { minAge, proofPath, check, handleProof, protect };
}

/** True when a Cookie header names the cookie `name`. */
function hasCookie(header: string | null, name: string): boolean {
  return (header ?? "").split(";").some((part) => part.trim().startsWith(`${name}=`));
}

/** The path of a request's URL, or "" when the URL does not parse. */
export function pathOf(request: Request): string {
  try {
    return new URL(request.url).pathname;
  } catch {
    return "";
  }
}

/**
 * A copy of `response` with a Set-Cookie appended (responses from fetch() have immutable headers).
 *
 * @example
 * ```ts
 * const result = await gate.check(request);
 * if (result.ok && result.setCookie) response = withSetCookie(response, result.setCookie);
 * ```
 */
export function withSetCookie(response: Response, setCookie: string): Response {
  const copy = new Response(response.body, response);
  copy.headers.append("Set-Cookie", setCookie);
  return copy;
}
