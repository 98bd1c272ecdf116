import {
  type CheckAnswer,
  type CheckRequestBody,
  type CredentialAnswer,
  type CredentialRequestBody,
  checkAnswerSchema,
  credentialAnswerSchema,
  DIRECTORY_MEDIA_TYPE,
  GATEWAY_PATHS,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  gatewayErrorBody,
  type IssuerDirectory,
  isGatewayErrorCode,
  type ProvidersAnswer,
  parseDirectoryText,
  providersAnswerSchema,
  type RefillAnswer,
  type RefillRequestBody,
  type ReportAnswer,
  refillAnswerSchema,
  reportAnswerSchema,
  toBase64Url,
} from "../protocol/internal.js";
import { GatewayClientError } from "./errors.js";
import { assertKeyLog, type KeyLogRead, readKeyLog } from "./key-log.js";

/*
 * The one client of a blindgate gateway: every route of the contract (sdk/src/protocol/gateway-api.ts) with its
 * path, its request shape and its answer's schema, so the site gate, the wallet, the auditor, the tests and the
 * bench speak to the gateway through the same code. fetch only: it runs in browsers, workers and Node alike.
 *
 * Retries. A route whose repetition changes nothing is retried on 429, 502, 503, 504 and network failures, with
 * exponential backoff and jitter, honouring a Retry-After (delta-seconds) up to `maxRetryAfterMs`, all within the
 * call's one time budget (`timeoutMs`): the GETs, and issuance, credential and refill, which the gateway answers
 * again for a retried request (the grant or the nullifier keeps the request's hash and answer). The check is never
 * retried: a check whose answer was lost may have spent the token, and a second one would call it spent; the site
 * fails closed and the person proves again instead.
 */

/** Default time budget of one call, retries included, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** Default attempts of a retried call (the first and the retries). */
export const DEFAULT_ATTEMPTS = 4;
/** Default longest Retry-After waited for inside a call, in milliseconds; a longer one ends the call at once. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 2000;
/** First backoff delay, in milliseconds (then doubled; each delay is drawn in [half, whole]). */
const BACKOFF_BASE_MS = 100;
/** Statuses a retried call is retried on: throttled, or a proxy or store that failed before anything happened. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** Options of {@link GatewayClient}. */
export interface GatewayClientOptions {
  /** The gateway's base URL, e.g. "https://gateway.example" (no query or fragment; a trailing slash is dropped). */
  url: string;
  /** fetch to use (default: the global fetch). */
  fetch?: typeof fetch;
  /** Time budget of one call, retries and every page included, in milliseconds (default 5000). */
  timeoutMs?: number;
  /** Attempts of a retried call, 1..10 (default 4; 1 turns retries off). */
  attempts?: number;
  /** Longest Retry-After waited for inside a call, in milliseconds (default 2000). */
  maxRetryAfterMs?: number;
  /**
   * Fields added to every request: e.g. `{ cache: "no-cache" }` in a browser that must revalidate. Credentials are
   * never sent (`credentials: "omit"`): the gateway has no business with cookies of any origin.
   */
  requestInit?: Pick<RequestInit, "cache" | "referrerPolicy" | "mode">;
  /** Clock in milliseconds (default Date.now), for deadlines; tests move it. */
  now?: () => number;
  /** Waits between attempts (default setTimeout); tests replace it. */
  sleep?: (ms: number) => Promise<void>;
}

/** What {@link GatewayClient.check} sends: the token and the age asked. */
export interface CheckCall {
  /** The site's API key at this gateway (sent as `Authorization: Bearer`, nowhere else). */
  siteKey: string;
  /** The token, as bytes or base64url. */
  token: Uint8Array | string;
  /** The lower bound asked. */
  minAge: number;
  /** The upper bound asked (exclusive), for a band: the gateway accepts only a band token inside [minAge, ageBelow). */
  ageBelow?: number | undefined;
  /** The encoded TokenChallenge, when the token answers another challenge than the issuer's cross-origin one. */
  challenge?: Uint8Array;
}

/** A directory as served, with the caching headers the caller may honour. */
export interface DirectoryRead {
  directory: IssuerDirectory;
  cacheControl: string | null;
  etag: string | null;
}

/** The answer of an issuance: 200 (every request signed) or 206 (some), and the body's bytes. */
export interface IssueAnswer {
  status: 200 | 206;
  body: Uint8Array;
}

interface Policy {
  /** Retried on RETRYABLE_STATUSES and network failures. */
  retry: boolean;
  /** Ends (milliseconds on the client's clock) the whole call, every attempt and page included. */
  deadline: number;
}

/**
 * A client of one blindgate gateway.
 *
 * @example
 * ```ts
 * import { GatewayClient } from "@blindgate/sdk/client";
 *
 * const gateway = new GatewayClient({ url: "https://gateway.example" });
 * const { directory } = await gateway.directory();
 * const log = await gateway.verifiedKeyLog(); // every page, chain verified, key set bounded
 * const answer = await gateway.check({ siteKey, token, minAge: 18 }); // { valid: true, ageOver, ... }
 * ```
 */
export class GatewayClient {
  /** The base URL, without a trailing slash. */
  readonly baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #attempts: number;
  readonly #maxRetryAfterMs: number;
  readonly #init: GatewayClientOptions["requestInit"];
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: GatewayClientOptions) {
    this.baseUrl = baseUrlOf(options.url);
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#timeoutMs = integerIn(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1, 600_000, "timeoutMs");
    this.#attempts = integerIn(options.attempts ?? DEFAULT_ATTEMPTS, 1, 10, "attempts");
    this.#maxRetryAfterMs = integerIn(
      options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
      0,
      600_000,
      "maxRetryAfterMs",
    );
    this.#init = options.requestInit;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * GET the issuer directory (RFC 9578 §4), parsed strictly.
   *
   * @example
   * ```ts
   * const { directory, cacheControl } = await gateway.directory();
   * ```
   */
  async directory(): Promise<DirectoryRead> {
    const response = await this.#call(GATEWAY_PATHS.directory, { headers: { Accept: DIRECTORY_MEDIA_TYPE } });
    const text = await this.#ok(response, "directory", [200]);
    try {
      return {
        directory: parseDirectoryText(text),
        cacheControl: response.headers.get("Cache-Control"),
        etag: response.headers.get("ETag"),
      };
    } catch (cause) {
      throw new GatewayClientError("ERR_ANSWER", "directory: not a valid issuer directory", { cause });
    }
  }

  /**
   * GET the key log from entry `from` on, every page (a page whose `next` does not advance ends the read), within
   * one time budget. The chain and the key set are not judged here: see {@link GatewayClient.verifiedKeyLog}.
   *
   * @example
   * ```ts
   * const { entries } = await gateway.keyLog({ from: held.length }); // only what is new: the log is append-only
   * ```
   */
  keyLog(options: { from?: number } = {}): Promise<KeyLogRead> {
    const policy = this.#policy(true);
    return readKeyLog(options.from ?? 0, (from) =>
      this.#call(
        `${GATEWAY_PATHS.keyLog}?from=${from}`,
        { headers: { Accept: "application/json" } },
        policy,
      ).then(async (response) => ({
        json: parseJson(await this.#ok(response, "key log", [200]), "key log"),
        cacheControl: response.headers.get("Cache-Control"),
      })),
    );
  }

  /**
   * The whole key log, its hash chain verified and its key set bounded (checkKeySet: at most two live keys per
   * interval and kind, no epoch shorter than `minEpochSeconds`). Throws GatewayClientError ERR_KEY_LOG_BROKEN or
   * ERR_KEY_SET when it is not one a client may use.
   *
   * @example
   * ```ts
   * const { entries } = await gateway.verifiedKeyLog({ nowSeconds: Math.floor(Date.now() / 1000) });
   * ```
   */
  async verifiedKeyLog(options: { nowSeconds?: number; minEpochSeconds?: number } = {}): Promise<KeyLogRead> {
    const read = await this.keyLog();
    await assertKeyLog(read.entries, options.nowSeconds ?? Math.floor(this.#now() / 1000), options);
    return read;
  }

  /**
   * POST /v1/check: verify a token and spend it, for a site. Resolves with the gateway's answer (the token is now
   * spent); throws GatewayClientError otherwise — ERR_STATUS with the gateway's code for a refusal (a token spent
   * already is `gatewayCode: "ERR_TOKEN_SPENT"`). Never retried (see the file's comment).
   *
   * @example
   * ```ts
   * const { ageOver } = await gateway.check({ siteKey, token, minAge: 18 });
   * ```
   */
  async check(call: CheckCall): Promise<CheckAnswer> {
    const body: CheckRequestBody = {
      token: typeof call.token === "string" ? call.token : toBase64Url(call.token),
      minAge: call.minAge,
    };
    if (call.ageBelow !== undefined) body.ageBelow = call.ageBelow;
    if (call.challenge !== undefined) body.challenge = toBase64Url(call.challenge);
    const response = await this.#call(
      GATEWAY_PATHS.check,
      {
        method: "POST",
        headers: {
          Authorization: `Bearer ${call.siteKey}`,
          "Content-Type": "application/json",
          Accept: "application/json",
        },
        body: JSON.stringify(body),
      },
      this.#policy(false),
    );
    return parseWith(checkAnswerSchema, await this.#ok(response, "check", [200]), "check");
  }

  /**
   * GET /v1/providers: the verification providers a wallet may send a person to.
   *
   * @example
   * ```ts
   * const providers = await gateway.providers(); // [{ id, name, verifyUrl }]
   * ```
   */
  async providers(): Promise<ProvidersAnswer["providers"]> {
    const response = await this.#call(GATEWAY_PATHS.providers, { headers: { Accept: "application/json" } });
    return parseWith(providersAnswerSchema, await this.#ok(response, "providers", [200]), "providers")
      .providers;
  }

  /**
   * GET /v1/report?day=: the signed transparency report of a closed UTC day, or undefined when the gateway has none
   * for that day (404: not over yet, or before the first report). The signature is not checked here.
   *
   * @example
   * ```ts
   * const report = await gateway.report("2026-12-06");
   * ```
   */
  async report(day: string): Promise<ReportAnswer | undefined> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      throw new GatewayClientError("ERR_CLIENT_CONFIG", "report: day must be YYYY-MM-DD");
    }
    const response = await this.#call(`${GATEWAY_PATHS.report}?day=${day}`, {
      headers: { Accept: "application/json" },
    });
    if (response.status === 404) {
      await response.body?.cancel().catch(() => undefined);
      return undefined;
    }
    return parseWith(reportAnswerSchema, await this.#ok(response, "report", [200]), "report");
  }

  /**
   * POST a generic batch of TokenRequests (encoded) with a provider's grant, to the directory's
   * issuer-request-uri (or the gateway's /token-request). Resolves with 200 (all signed) or 206 (some).
   *
   * @example
   * ```ts
   * const { body } = await gateway.issue({ grant, batch: encodeBatchRequest(items) });
   * const responses = decodeBatchResponse(body);
   * ```
   */
  async issue(call: { grant: string; batch: Uint8Array; issuerRequestUri?: string }): Promise<IssueAnswer> {
    const target = call.issuerRequestUri ?? GATEWAY_PATHS.issue;
    const response = await this.#call(target, {
      method: "POST",
      headers: { "Content-Type": GENERIC_BATCH_REQUEST_MEDIA_TYPE, Authorization: `Bearer ${call.grant}` },
      body: call.batch as BodyInit,
    });
    if (response.status !== 200 && response.status !== 206) await this.#ok(response, "issue", [200, 206]);
    try {
      return { status: response.status as 200 | 206, body: new Uint8Array(await response.arrayBuffer()) };
    } catch (cause) {
      throw new GatewayClientError("ERR_UNREACHABLE", "issue: the answer was cut off", { cause });
    }
  }

  /**
   * POST /v1/credential: a grant buys a credit credential and, optionally, a first batch of tokens.
   *
   * @example
   * ```ts
   * const answer = await gateway.credential({ grant, body: { credit, tokens } });
   * ```
   */
  async credential(call: { grant: string; body: CredentialRequestBody }): Promise<CredentialAnswer> {
    const response = await this.#call(GATEWAY_PATHS.credential, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: `Bearer ${call.grant}`,
      },
      body: JSON.stringify(call.body),
    });
    return parseWith(credentialAnswerSchema, await this.#ok(response, "credential", [200]), "credential");
  }

  /**
   * POST /v1/refill: a credit credential's spend proof buys tokens; the change comes back as a refund.
   *
   * @example
   * ```ts
   * const { tokens, refund } = await gateway.refill({ creditKeyId, proof, tokens: batch });
   * ```
   */
  async refill(body: RefillRequestBody): Promise<RefillAnswer> {
    const response = await this.#call(GATEWAY_PATHS.refill, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    return parseWith(refillAnswerSchema, await this.#ok(response, "refill", [200]), "refill");
  }

  #policy(retry: boolean): Policy {
    return { retry, deadline: this.#now() + this.#timeoutMs };
  }

  /**
   * One call: attempts until an answer that is not retryable, or the last attempt's answer. Throws
   * ERR_UNREACHABLE when no attempt got an answer; a retryable status that persists is returned for #ok to read.
   */
  async #call(path: string, init: RequestInit, policy: Policy = this.#policy(true)): Promise<Response> {
    const url = /^https?:\/\//.test(path) ? path : `${this.baseUrl}${path}`;
    let lastError: unknown;
    let lastResponse: Response | undefined;
    const attempts = policy.retry ? this.#attempts : 1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        const step = BACKOFF_BASE_MS * 2 ** (attempt - 1);
        const backoff = step / 2 + (Math.random() * step) / 2;
        const after = lastResponse === undefined ? undefined : retryAfterMs(lastResponse);
        const wait = Math.max(backoff, after ?? 0);
        if (wait > Math.max(this.#maxRetryAfterMs, backoff) || this.#now() + wait >= policy.deadline) break;
        await lastResponse?.body?.cancel().catch(() => undefined);
        lastResponse = undefined;
        await this.#sleep(wait);
      }
      // AbortSignal.timeout takes whole milliseconds only.
      const remaining = Math.floor(policy.deadline - this.#now());
      if (remaining <= 0) break;
      try {
        const response = await this.#fetch(url, {
          ...this.#init,
          ...init,
          credentials: "omit",
          redirect: "error",
          signal: AbortSignal.timeout(remaining),
        });
        if (!policy.retry || !RETRYABLE_STATUSES.has(response.status)) return response;
        lastResponse = response;
      } catch (cause) {
        lastError = cause;
        lastResponse = undefined;
      }
    }
    if (lastResponse !== undefined) return lastResponse;
    throw new GatewayClientError("ERR_UNREACHABLE", `${routeName(path)}: the gateway cannot be reached`, {
      cause: lastError,
    });
  }

  /** The body's text when the status is one of `expected`; otherwise the refusal, with the gateway's code. */
  async #ok(response: Response, route: string, expected: readonly number[]): Promise<string> {
    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      throw new GatewayClientError("ERR_UNREACHABLE", `${route}: the answer was cut off`, { cause });
    }
    if (expected.includes(response.status)) return text;
    const gatewayCode = errorCodeOf(text);
    const retryAfter = retryAfterMs(response);
    throw new GatewayClientError(
      "ERR_STATUS",
      `${route}: the gateway answered ${response.status}${gatewayCode === undefined ? "" : ` ${gatewayCode}`}`,
      {
        status: response.status,
        ...(gatewayCode === undefined ? {} : { gatewayCode }),
        ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
      },
    );
  }
}

/**
 * A Retry-After in delta-seconds, in milliseconds; undefined when absent or an HTTP date (a date would need the
 * gateway's clock to agree with ours).
 *
 * @example
 * ```ts
 * retryAfterMs(new Response(null, { status: 429, headers: { "Retry-After": "2" } })); // 2000
 * ```
 */
export function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get("Retry-After")?.trim();
  if (value === undefined || !/^[0-9]{1,6}$/.test(value)) return undefined;
  return Number(value) * 1000;
}

function errorCodeOf(text: string) {
  try {
    const parsed = gatewayErrorBody.safeParse(JSON.parse(text));
    if (!parsed.success) return undefined;
    return isGatewayErrorCode(parsed.data.error.code) ? parsed.data.error.code : undefined;
  } catch {
    return undefined;
  }
}

function parseJson(text: string, route: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new GatewayClientError("ERR_ANSWER", `${route}: the gateway answered outside the contract`, {
      cause,
    });
  }
}

function parseWith<T>(schema: { parse(value: unknown): T }, text: string, route: string): T {
  const json = parseJson(text, route);
  try {
    return schema.parse(json);
  } catch (cause) {
    throw new GatewayClientError("ERR_ANSWER", `${route}: the gateway answered outside the contract`, {
      cause,
    });
  }
}

function routeName(path: string): string {
  const entry = Object.entries(GATEWAY_PATHS).find(([, p]) => path.split("?")[0] === p);
  return entry === undefined ? "gateway" : entry[0].replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

function baseUrlOf(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new GatewayClientError("ERR_CLIENT_CONFIG", "url: not a URL", { cause });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new GatewayClientError("ERR_CLIENT_CONFIG", "url: must be http(s)");
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new GatewayClientError("ERR_CLIENT_CONFIG", "url: no credentials, query or fragment");
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function integerIn(value: number, min: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new GatewayClientError("ERR_CLIENT_CONFIG", `${name} must be an integer in ${min}..${max}`);
  }
  return value;
}
