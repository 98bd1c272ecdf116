import { defaultVerifierFactory } from "#default-verifier";
import {
  contains,
  formatInterval,
  formatWwwAuthenticate,
  intervalKey,
  parseAuthorization,
  type WwwAuthenticateEntry,
} from "../protocol/index.js";
import { type AgeRequirement, type GateInterval, requirementInterval } from "./age-requirement.js";
import { buildChallenges } from "./challenge.js";
import { GateError } from "./errors.js";
import { KeyLogCheck } from "./key-log-check.js";
import { IssuerKeys } from "./key-ring.js";
import { LoggedKeys } from "./logged-keys.js";
import { isOperatorError, logDetails } from "./logger.js";
import { type AgeGateOptions, resolveOptions } from "./options.js";
import { readProofRequest } from "./proof-request.js";
import { type Redeemed, redeemToken } from "./redeem.js";
import {
  newNonce,
  pageLang,
  prefersHtml,
  type RefusalPageContext,
  refusalPageCsp,
  renderRefusalPage,
} from "./refusal-page.js";
import { errorResponse, jsonResponse, NO_STORE, toGateError } from "./responses.js";
import { createSessionCodec } from "./session.js";

/*
 * The age gate over the Fetch API (Request -> Response): runs on Node 20+, Deno, Bun, Cloudflare Workers, Lambda.
 * A gate asks for an age interval: a threshold (`minAge`) or a band (`minAge` and `ageBelow`, exclusive). A request
 * passes when it carries a valid age session cookie whose interval lies inside the gate's, or an
 * `Authorization: PrivateToken token=...` that verifies and is spent at the gateway (the cookie is then set on
 * that response). Otherwise it gets the 401 PrivateToken challenge. The browser part posts tokens to the proof
 * endpoint instead and gets `{ ok: true, ageOver, ageBelow? }` with the cookie.
 *
 * One site, several ages: `gate.require(18)` and `gate.require({ from: 13, below: 18 })` make gates that share the
 * first one's caches, session and proof endpoint. The proof endpoint accepts a token that fits any of them and
 * records what it proved; each gate then opens only for sessions inside its own interval.
 */

/** A request that passed, or the response to send instead. */
export type GateResult =
  | {
      ok: true;
      /** The lower end of the interval proved (>= the gate's minAge). */
      ageOver: number;
      /** The upper end (exclusive) of the interval proved, when it is a band (a band gate always gets one). */
      ageBelow?: number;
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

/** What a gated handler learns about the person: the age interval proved, nothing else. */
export interface AgeContext {
  /** The lower end of the interval proved: the person is at least this old. */
  ageOver: number;
  /** Band gates only: the person is younger than this. */
  ageBelow?: number;
}

/** A Fetch API handler behind the gate. */
export type GatedHandler = (request: Request, context: AgeContext) => Response | Promise<Response>;

/** An age gate; see {@link createAgeGate}. */
export interface AgeGate {
  /** The lower age this gate asks for. */
  readonly minAge: number;
  /** The upper age (exclusive) of a band gate; undefined for a threshold. */
  readonly ageBelow: number | undefined;
  /** Path of the proof endpoint (shared by every gate made with {@link AgeGate.require}). */
  readonly proofPath: string;
  /** Is this request inside the gate's ages? Never throws; fails closed. */
  check(request: Request): Promise<GateResult>;
  /**
   * The proof endpoint: takes `{ token }` JSON, answers `{ ok: true, ageOver, ageBelow? }` with the session cookie.
   * Shared: it accepts a token for any age this gate or its `require()` gates ask for.
   */
  handleProof(request: Request): Promise<Response>;
  /** Gate a whole route; requests to proofPath are answered by handleProof. */
  protect(handler: GatedHandler): (request: Request) => Promise<Response>;
  /**
   * A gate for another age on the same site: same issuers, session, caches and proof endpoint. Takes an age (a
   * threshold) or an interval `{ from, below }` (`below` exclusive). The same requirement gives the same gate.
   *
   * @example
   * ```ts
   * const lobby = createAgeGate({ issuers, minAge: 13, session: { secret } });
   * const adults = lobby.require(18);
   * const teens = lobby.require({ from: 13, below: 18 }); // 13 to 17: refuses every adult
   * ```
   */
  require(age: AgeRequirement): AgeGate;
  /**
   * A `Set-Cookie` value that ends the age session (for a "leave" or "log out" link); the next gated request asks
   * for a proof again. The session is the site's, shared by every gate made with {@link AgeGate.require}.
   *
   * @example
   * ```ts
   * return new Response(null, { status: 303, headers: { Location: "/", "Set-Cookie": gate.endSession() } });
   * ```
   */
  endSession(): string;
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
  const { proofPath, now, logger } = resolved;
  const session = createSessionCodec(options.session, { logger });
  const factory = options.verifier ?? defaultVerifierFactory;
  const ring = new IssuerKeys(resolved.issuers, factory);
  const loggedKeys = new LoggedKeys(factory);
  const keyLog = new KeyLogCheck({ now, minEpochSeconds: resolved.minKeyEpochSeconds });
  /** Every interval a gate of this site asks for, by id: what the shared proof endpoint accepts. */
  const gates = new Map<string, AgeGate>();

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

  const redeem = (token: Uint8Array, accepts: readonly GateInterval[]) =>
    redeemToken(token, { ring, keyLog, loggedKeys, accepts, nowMs: now() });

  /** The session cookie of a redeemed token: it says the interval proved, and never outlives a band's key. */
  const sessionCookie = (redeemed: Redeemed) =>
    session.issue(
      redeemed.interval,
      now(),
      redeemed.interval.below === undefined ? undefined : redeemed.keyExpiresAtMs,
    );

  /** The shared proof endpoint: a token for any age a gate of this site asks for. */
  async function handleProof(request: Request): Promise<Response> {
    try {
      const token = await readProofRequest(request);
      const redeemed = await redeem(token, [...gates.values()].map(intervalOfGate));
      const headers = new Headers({ "Set-Cookie": await sessionCookie(redeemed) });
      return jsonResponse({ ok: true, ...ageFields(redeemed.interval) }, headers);
    } catch (error) {
      const gateError = toGateError(error);
      report(gateError);
      const headers = gateError.code === "ERR_METHOD_NOT_ALLOWED" ? { Allow: "POST" } : {};
      return errorResponse(gateError, { headers });
    }
  }

  function gateFor(interval: GateInterval): AgeGate {
    const id = intervalKey(interval);
    const known = gates.get(id);
    if (known !== undefined) return known;

    const refuse = async (
      error: GateError,
      staleCookie: boolean,
      request: Request,
      held: GateInterval | undefined,
    ): Promise<GateResult> => {
      report(error);
      const headers = new Headers();
      // A session cookie that is not valid (tampered, expired) is deleted with the refusal. A valid one for
      // another interval stays: it may open another section of the site.
      if (staleCookie) headers.append("Set-Cookie", session.clear());
      if (error.status >= 500)
        return { ok: false, error, response: refusal(error, error.status, headers, request, held) };
      let challenges: WwwAuthenticateEntry[];
      try {
        challenges = await buildChallenges(resolved.issuers, interval, now());
      } catch (cause) {
        const failure = toGateError(cause);
        report(failure);
        return {
          ok: false,
          error: failure,
          response: refusal(failure, failure.status, headers, request, held),
        };
      }
      headers.set("WWW-Authenticate", formatWwwAuthenticate(challenges));
      return { ok: false, error, response: refusal(error, 401, headers, request, held) };
    };

    /** The refusal's answer: JSON, or the HTML refusal page for a browser navigating when the option is set. */
    const refusal = (
      error: GateError,
      status: number,
      headers: Headers,
      request: Request,
      held: GateInterval | undefined,
    ): Response => {
      const page = resolved.refusalPage;
      if (page === undefined || !prefersHtml(request.headers.get("Accept"))) {
        return errorResponse(error, { status, headers });
      }
      const nonce = newNonce();
      const context: RefusalPageContext = {
        minAge: interval.from,
        ageBelow: interval.below,
        // Someone whose own proof says they are past the band's upper end (an adult at a teen room) is told so,
        // in words, and offered no button: no proof they hold can open this section.
        reason:
          status >= 500
            ? "unavailable"
            : interval.below !== undefined && held !== undefined && held.from >= interval.below
              ? "too-old"
              : "proof-required",
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
      headers.set("Vary", "Accept, Accept-Language, Cookie");
      headers.set("X-Content-Type-Options", "nosniff");
      headers.set("Referrer-Policy", "no-referrer");
      return new Response((page.render ?? renderRefusalPage)(context), { status, headers });
    };

    async function check(request: Request): Promise<GateResult> {
      const cookieHeader = request.headers.get("Cookie");
      let staleCookie = false;
      let held: GateInterval | undefined;
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
          const redeemed = await redeem(token, [interval]);
          return { ok: true, ...ageFields(redeemed.interval), setCookie: await sessionCookie(redeemed) };
        }
        held = await session.read(cookieHeader, now());
        if (held !== undefined && contains(interval, held)) return { ok: true, ...ageFields(held) };
        staleCookie = held === undefined && hasCookie(cookieHeader, session.cookieName);
        return await refuse(
          new GateError("ERR_AGE_REQUIRED", `proof of age ${formatInterval(interval)} required`),
          staleCookie,
          request,
          held,
        );
      } catch (error) {
        return refuse(toGateError(error), staleCookie, request, held);
      }
    }

    function protect(handler: GatedHandler): (request: Request) => Promise<Response> {
      return async (request) => {
        if (pathOf(request) === proofPath) return handleProof(request);
        const result = await check(request);
        if (!result.ok) return result.response;
        const response = await handler(request, ageFields(result));
        return result.setCookie === undefined ? response : withSetCookie(response, result.setCookie);
      };
    }

    const gate: AgeGate = {
      minAge: interval.from,
      ageBelow: interval.below,
      proofPath,
      check,
      handleProof,
      protect,
      require: (age) => gateFor(requirementInterval(age)),
      endSession: () => session.clear(),
    };
    gates.set(id, gate);
    return gate;
  }

  return gateFor(resolved.interval);
}

function intervalOfGate(gate: AgeGate): GateInterval {
  return gate.ageBelow === undefined ? { from: gate.minAge } : { from: gate.minAge, below: gate.ageBelow };
}

/** `{ ageOver, ageBelow? }` of an interval, without an `ageBelow: undefined` key. */
function ageFields(i: GateInterval | { ageOver: number; ageBelow?: number | undefined }): AgeContext {
  const [from, below] = "from" in i ? [i.from, i.below] : [i.ageOver, i.ageBelow];
  return below === undefined ? { ageOver: from } : { ageOver: from, ageBelow: below };
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
