import { exportGrantJwks } from "@blindgate/sdk/provider";
import { pageLang } from "@blindgate/sdk/site";
import middy from "@middy/core";
import * as z from "zod";
import { EuAvConfigError, EuAvError, type EuAvErrorCode } from "./errors.js";
import { bodyBytes, type HttpEvent, type HttpResult, json, log, mediaType } from "./http.js";
import { errorPage, PAGE_CSS, PAGE_HEADERS, PAGE_JS, verifyPage } from "./pages.js";
import { qrCode } from "./qr.js";
import { REQUEST_OBJECT_TYPE } from "./request.js";
import {
  collectResult,
  crossDeviceTarget,
  type EuAvDeps,
  OAUTH_TEXT,
  openSession,
  receiveDcApi,
  receiveDirectPost,
  receiveWalletError,
  requestObject,
} from "./service.js";
import { PAGE_STRINGS, type PageLang } from "./strings.js";

/*
 * The provider's one HTTP function (API Gateway HTTP API v2 events), thin: parse with zod, call one service
 * function, answer. Routes, relative to the public URL's path:
 *
 *   GET  /verify?wallet_origin&state   the page the wallet opens (HTML; no session yet)
 *   POST /session                      the page's script opens the session (JSON: wallet_origin, state), at most
 *                                      sessionsPerMinute per client address: the links, the QR code, the DC API
 *   GET  /r/<id>                       the QR code's short link: 303 to the av:// request by value
 *   GET  /request/<id>                 the request object of request_uri (unsigned JWT)
 *   GET  /page.js, /page.css           its script and style
 *   GET  /jwks.json                    the grant key's public JWKS (what the gateway operator registers)
 *   POST /response                     OpenID4VP direct_post (form: vp_token and state, or an Authorization Error
 *                                      Response: error, error_description, state), from the holder's app
 *   POST /result                       the page polls (JSON: id, secret): 202 pending, 200 the wallet message
 *   POST /dc-api                       the page's Digital Credentials API answer (JSON: id, secret, vp_token)
 *
 * Every refusal is a 4xx JSON body { error: { code, message } } with the code also in `x-error-code`; anything
 * unexpected is a 500 with a generic body. Nothing from the request is echoed, and nothing is logged but codes.
 */

/** The HTTP status of each refusal: the one table of it (docs/errors.md lists it, a test holds the two together). */
export const EU_AV_ERROR_STATUS: Readonly<Record<EuAvErrorCode, number>> = {
  ERR_BAD_REQUEST: 400,
  ERR_MEDIA_TYPE: 415,
  ERR_BODY_TOO_LARGE: 413,
  ERR_METHOD: 405,
  ERR_NOT_FOUND: 404,
  ERR_WALLET_ORIGIN: 400,
  ERR_RATE_LIMITED: 429,
  ERR_BAND: 400,
  ERR_SESSION_UNKNOWN: 404,
  ERR_SESSION_EXPIRED: 410,
  ERR_SESSION_USED: 409,
  ERR_VP_TOKEN: 400,
  ERR_ENCRYPTED_RESPONSE: 400,
  ERR_MDOC_MALFORMED: 400,
  ERR_DOCTYPE: 403,
  ERR_NAMESPACE: 403,
  ERR_EXTRA_CLAIMS: 403,
  ERR_ISSUER_UNTRUSTED: 403,
  ERR_ISSUER_SIGNATURE: 403,
  ERR_VALIDITY: 403,
  ERR_DIGEST: 403,
  ERR_DEVICE_SIGNATURE: 403,
  ERR_AGE_CLAIMS: 403,
  ERR_UNDER_AGE: 403,
};

const STATE = /^[A-Za-z0-9_-]{8,128}$/;
const id = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);
const BAND = /^\d{1,3}-\d{1,3}$/;
const verifyQuery = z.object({
  wallet_origin: z.string().max(256),
  state: z.string().regex(STATE),
  band: z.string().regex(BAND).optional(),
});
const sessionBody = z.strictObject({
  wallet_origin: z.string().max(256),
  state: z.string().regex(STATE),
  band: z.string().regex(BAND).optional(),
});
const SHORT_LINK = /^\/r\/([A-Za-z0-9_-]{16,64})$/;
const REQUEST_OBJECT = /^\/request\/([A-Za-z0-9_-]{16,64})$/;
/*
 * The direct_post body (OpenID4VP 1.0 §8.2), as a form. §8.1: "The Client MUST ignore any unrecognized
 * parameters" (e.g. RFC 9207's `iss`), so these objects are not strict; what we read is still typed and bounded.
 * Either a response (vp_token) or an Authorization Error Response (RFC 6749 §4.1.2.1: error, optional
 * error_description), never both. RFC 6749's charsets for error and error_description: printable ASCII
 * without `"` and `\`.
 */
const directPost = z.object({
  vp_token: z.string().min(2).max(64_000),
  state: id,
});
const errorResponse = z.object({
  error: z.string().min(1).max(64).regex(OAUTH_TEXT),
  error_description: z.string().max(2000).optional(),
  state: id,
});
const pollBody = z.strictObject({ id, secret: id });
/** The page's Digital Credentials API answer: the protocol the browser chose and its data (service.ts reads it). */
const dcApiBody = z.strictObject({
  id,
  secret: id,
  protocol: z.string().max(64),
  data: z.unknown(),
});

const MAX_BODY = 96_000;

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new EuAvError("ERR_BAD_REQUEST", "the request does not have the expected fields");
  return result.data;
}

function text(body: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new EuAvError("ERR_BAD_REQUEST", "the body is not UTF-8");
  }
}

function jsonOf(event: HttpEvent): unknown {
  if (mediaType(event) !== "application/json")
    throw new EuAvError("ERR_MEDIA_TYPE", "expected application/json");
  try {
    return JSON.parse(text(bodyBytes(event, MAX_BODY)));
  } catch (error) {
    if (error instanceof EuAvError) throw error;
    throw new EuAvError("ERR_BAD_REQUEST", "the body is not JSON");
  }
}

function formOf(event: HttpEvent): Record<string, string> {
  if (mediaType(event) !== "application/x-www-form-urlencoded") {
    throw new EuAvError("ERR_MEDIA_TYPE", "expected application/x-www-form-urlencoded");
  }
  const params = new URLSearchParams(text(bodyBytes(event, MAX_BODY)));
  const out: Record<string, string> = {};
  for (const [k, v] of params) {
    if (k in out) throw new EuAvError("ERR_BAD_REQUEST", "a parameter is repeated");
    out[k] = v;
  }
  return out;
}

const asset = (body: string, type: string): HttpResult => ({
  statusCode: 200,
  headers: { ...PAGE_HEADERS, "content-type": type, "cache-control": "public, max-age=300" },
  body,
});
const html = (
  lang: PageLang,
  status: number,
  body: string,
  extra: Record<string, string> = {},
): HttpResult => ({
  statusCode: status,
  headers: {
    ...PAGE_HEADERS,
    "content-type": "text/html; charset=utf-8",
    "content-language": lang,
    vary: "Accept-Language",
    ...extra,
  },
  body,
});

function header(event: HttpEvent, name: string): string | null {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === name) return v ?? null;
  return null;
}

async function route(event: HttpEvent, deps: EuAvDeps): Promise<HttpResult> {
  const base = new URL(deps.config.publicUrl).pathname.replace(/\/+$/, "");
  const path = event.rawPath.startsWith(base) ? event.rawPath.slice(base.length) : event.rawPath;
  const method = event.requestContext?.http?.method?.toUpperCase() ?? "";
  const allow = (m: string) => {
    if (method !== m) throw new EuAvError("ERR_METHOD", `only ${m} is allowed`);
  };
  switch (path) {
    case "/verify": {
      // The page only: its script opens the session (POST /session), so a crawler, a prefetch or a reload storm
      // costs no session and no nonce.
      allow("GET");
      const lang = pageLang(header(event, "accept-language"));
      const t = PAGE_STRINGS[lang];
      const query = verifyQuery.safeParse(event.queryStringParameters ?? {});
      if (!query.success) {
        return html(lang, 400, errorPage(lang, t.badRequest), { "x-error-code": "ERR_BAD_REQUEST" });
      }
      if (!deps.config.walletOrigins.includes(query.data.wallet_origin)) {
        return html(lang, 400, errorPage(lang, t.wrongWallet), { "x-error-code": "ERR_WALLET_ORIGIN" });
      }
      return html(
        lang,
        200,
        verifyPage({
          walletOrigin: query.data.wallet_origin,
          walletState: query.data.state,
          band: query.data.band,
          lang,
          testWalletUrl: deps.config.testWalletUrl,
        }),
      );
    }
    case "/session": {
      allow("POST");
      const body = parse(sessionBody, jsonOf(event));
      const opened = await openSession(deps, {
        walletOrigin: body.wallet_origin,
        walletState: body.state,
        address: event.requestContext?.http?.sourceIp ?? "",
        band: body.band,
      });
      const qr = qrCode(opened.links.crossDevice);
      return json(200, {
        id: opened.id,
        secret: opened.pollSecret,
        links: opened.links,
        qr: { size: qr.size, path: qr.path, version: qr.version },
        dcApi: opened.dcApi,
      });
    }
    case "/page.js":
      allow("GET");
      return asset(PAGE_JS, "text/javascript; charset=utf-8");
    case "/page.css":
      allow("GET");
      return asset(PAGE_CSS, "text/css; charset=utf-8");
    case "/jwks.json":
      allow("GET");
      return json(200, await exportGrantJwks(deps.grantKey));
    case "/response": {
      allow("POST");
      const form = formOf(event);
      if ("error" in form) {
        if ("vp_token" in form) throw new EuAvError("ERR_BAD_REQUEST", "vp_token and error together");
        // §8.2: an Authorization Error Response is answered 200 with a JSON object, like a response.
        await receiveWalletError(deps, parse(errorResponse, form));
        return json(200, {});
      }
      await receiveDirectPost(deps, parse(directPost, form));
      // OpenID4VP §8.2: 200 with a JSON object; no redirect_uri, the page that started the request polls.
      return json(200, {});
    }
    case "/result": {
      allow("POST");
      const result = await collectResult(deps, parse(pollBody, jsonOf(event)));
      if (result === "pending") return json(202, { status: "pending" });
      return json(200, { status: "done", ...result });
    }
    case "/dc-api": {
      allow("POST");
      const result = await receiveDcApi(deps, parse(dcApiBody, jsonOf(event)));
      return json(200, { status: "done", ...result });
    }
    default: {
      const short = SHORT_LINK.exec(path);
      if (short?.[1] !== undefined) {
        // A phone's camera opened the QR code's link: on to the app, with the request by value.
        allow("GET");
        const lang = pageLang(header(event, "accept-language"));
        try {
          const target = await crossDeviceTarget(deps, short[1]);
          return { statusCode: 303, headers: { ...PAGE_HEADERS, location: target }, body: "" };
        } catch (error) {
          if (!(error instanceof EuAvError)) throw error;
          return html(lang, EU_AV_ERROR_STATUS[error.code], errorPage(lang, PAGE_STRINGS[lang].linkGone), {
            "x-error-code": error.code,
          });
        }
      }
      const reference = REQUEST_OBJECT.exec(path);
      if (reference?.[1] !== undefined) {
        allow("GET");
        return {
          statusCode: 200,
          headers: { "content-type": REQUEST_OBJECT_TYPE, "cache-control": "no-store" },
          body: await requestObject(deps, reference[1]),
        };
      }
      throw new EuAvError("ERR_NOT_FOUND", "no such route");
    }
  }
}

function errorResult(status: number, code: string, message: string) {
  return json(status, { error: { code, message } }, { "x-error-code": code });
}

/**
 * The error boundary: typed errors become their 4xx; anything else a generic 500, logged by name only (a
 * configuration error by its variable and problem, see EuAvConfigError).
 */
function errors(): middy.MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: async (request) => {
      const error = request.error;
      if (error instanceof EuAvError) {
        log("info", "eu-av refused", { code: error.code });
        request.response = errorResult(EU_AV_ERROR_STATUS[error.code], error.code, error.message);
        if (error.code === "ERR_RATE_LIMITED")
          request.response.headers = { ...request.response.headers, "retry-after": "60" };
        return;
      }
      if (error instanceof EuAvConfigError) {
        // The operator's clue: which variable, what is wrong (never its value). The client learns nothing.
        log("error", "eu-av configuration error", {
          code: error.code,
          variable: error.variable,
          problem: error.message,
        });
      } else {
        log("error", "eu-av unhandled error", { error: error instanceof Error ? error.name : typeof error });
      }
      request.response = json(500, { error: { code: "ERR_INTERNAL", message: "internal error" } });
    },
  };
}

/**
 * The Lambda handler over `deps` (or a function making them on cold start).
 *
 * @example
 * ```ts
 * export const handler = createEuAvHandler(euAvDepsFromEnv);
 * ```
 */
export function createEuAvHandler(source: EuAvDeps | (() => Promise<EuAvDeps>)) {
  let pending: Promise<EuAvDeps> | undefined;
  const deps = () => {
    if (typeof source !== "function") return Promise.resolve(source);
    pending ??= source().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
  return middy<HttpEvent, HttpResult>(async (event: HttpEvent) => route(event, await deps())).use(errors());
}
