import { GatewayClient } from "../client/index.js";
import type { TokenVerifierFactory } from "../protocol/index.js";
import { DEFAULT_MIN_KEY_EPOCH_SECONDS, isServerName } from "../protocol/internal.js";
import { type GateInterval, requirementInterval } from "./age-requirement.js";
import { DirectoryCache } from "./directory-cache.js";
import { GateError } from "./errors.js";
import type { IssuerState } from "./key-ring.js";
import type { GateErrorHook, GateLogger } from "./logger.js";
import { SILENT_LOGGER } from "./logger.js";
import { DEFAULT_PROOF_PATH } from "./proof-request.js";
import type { RefusalPageOptions } from "./refusal-page.js";
import type { SessionOptions } from "./session.js";

/** One trusted issuer: a blindgate gateway (or any RFC 9578 issuer with blindgate's check route). */
export interface TrustedIssuer {
  /** The gateway's base URL, e.g. "https://gateway.example". https, or http for localhost only. */
  url: string;
  /** The site's API key at this gateway (sent only to its /v1/check, as a Bearer token). */
  siteKey: string;
  /** Issuer name of its TokenChallenges, if not the URL's host (the gateway's BLINDGATE_ISSUER_NAME). */
  issuerName?: string | undefined;
  /**
   * Check that the issuer's key log (GET {url}/v1/key-log) announces a token's key before accepting it (key
   * consistency). Default true; set false only for an RFC 9578 issuer that publishes no key log.
   */
  keyLog?: boolean | undefined;
}

/** Options of {@link createAgeGate}. */
export interface AgeGateOptions {
  /** The trusted gateway, or several; a token is checked at the gateway whose directory lists its key. */
  issuers: TrustedIssuer | readonly TrustedIssuer[];
  /** The age the gate asks for: 13, 15, 16, 18, 21 or any threshold your issuers publish (1..150). */
  minAge: number;
  /**
   * For a band: the age (exclusive) the person must be younger than, e.g. `minAge: 13, ageBelow: 18` for 13 to 17.
   * Such a gate accepts only band tokens inside [minAge, ageBelow): it refuses every adult and every threshold
   * token. Omit it for a threshold ("minAge or over").
   */
  ageBelow?: number | undefined;
  /** The age session cookie. */
  session: SessionOptions;
  /** Path of the proof endpoint the browser posts tokens to (default "/.well-known/blindgate/proof"). */
  proofPath?: string;
  /**
   * Token verifier factory. Default: on Node the OpenSSL-backed `createNodeTokenVerifier`, elsewhere WebCrypto's
   * `createTokenVerifier` (both from the protocol core's one verifier; picked by the package's "node" condition).
   */
  verifier?: TokenVerifierFactory;
  /** fetch used for the directory and the check (default: the global fetch). */
  fetch?: typeof fetch;
  /** Clock in milliseconds (default Date.now); for tests. */
  now?: () => number;
  /** Timeout of each gateway call in milliseconds (default 5000). */
  timeoutMs?: number;
  /**
   * Where the gate reports what its operator should know: a gateway that refuses the site key or cannot be
   * reached, a key log that fails key consistency, a weak session secret. Default `console`; `false` for silence.
   * Never receives tokens, cookies, secrets or site keys.
   */
  logger?: GateLogger | false;
  /**
   * Called with every refusal but the plain "no proof yet" (ERR_AGE_REQUIRED): for metrics and alerts. Use
   * `isOperatorError(error)` to pick the ones that are not the visitor's doing. A hook that throws is ignored.
   */
  onError?: GateErrorHook;
  /**
   * Answer browsers navigating to a gated page (Accept prefers text/html) with an HTML page and a "Prove my age"
   * button instead of the JSON body; status and WWW-Authenticate stay the same.
   */
  refusalPage?: RefusalPageOptions;
  /**
   * Shortest key epoch an issuer's key log may announce, in seconds (default 3600): shorter epochs, like more
   * than two live keys per threshold, could partition people and are refused with ERR_KEY_SET.
   */
  minKeyEpochSeconds?: number;
  /**
   * Trust test issuers (`@blindgate/sdk/testing`, at hosts under `.invalid`). For tests only: a gate without it
   * refuses such an issuer at start-up with ERR_CONFIG, so a test issuer cannot reach production.
   */
  allowTestIssuers?: boolean;
}

/** Options after checking, with defaults filled in. */
export interface ResolvedOptions {
  issuers: IssuerState[];
  /** What the gate asks for: [minAge, ageBelow). */
  interval: GateInterval;
  proofPath: string;
  fetch: typeof fetch;
  now: () => number;
  timeoutMs: number;
  logger: GateLogger;
  refusalPage: RefusalPageOptions | undefined;
  minKeyEpochSeconds: number;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);
const SITE_KEY = /^[\x21-\x7e]{1,512}$/;

/**
 * Check the options of a gate. Throws GateError("ERR_CONFIG") naming the bad option (never echoing a key).
 *
 * @example
 * ```ts
 * const resolved = resolveOptions({ issuers: { url, siteKey }, minAge: 18, session: { secret } });
 * ```
 */
export function resolveOptions(options: AgeGateOptions): ResolvedOptions {
  const { minAge, ageBelow } = options;
  if (!Number.isInteger(minAge) || minAge < 1 || minAge > 150) {
    throw new GateError("ERR_CONFIG", "minAge must be an integer in 1..150");
  }
  if (ageBelow !== undefined && (!Number.isInteger(ageBelow) || ageBelow <= minAge || ageBelow > 150)) {
    throw new GateError("ERR_CONFIG", "ageBelow must be an integer above minAge, at most 150");
  }
  const interval = requirementInterval({ from: minAge, below: ageBelow });
  const proofPath = options.proofPath ?? DEFAULT_PROOF_PATH;
  if (!/^\/[\x21-\x7e]*$/.test(proofPath) || proofPath.includes("?") || proofPath.includes("#")) {
    throw new GateError("ERR_CONFIG", "proofPath must be an absolute path");
  }
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw new GateError("ERR_CONFIG", "timeoutMs must be an integer in 1..60000");
  }
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const now = options.now ?? Date.now;
  const list: readonly TrustedIssuer[] = isList(options.issuers) ? options.issuers : [options.issuers];
  if (list.length === 0) throw new GateError("ERR_CONFIG", "issuers: at least one trusted issuer");
  const seen = new Set<string>();
  const issuers = list.map((issuer, i): IssuerState => {
    const baseUrl = issuerBaseUrl(issuer.url, i);
    if (seen.has(baseUrl)) throw new GateError("ERR_CONFIG", `issuers[${i}].url: listed twice`);
    seen.add(baseUrl);
    if (typeof issuer.siteKey !== "string" || !SITE_KEY.test(issuer.siteKey)) {
      throw new GateError("ERR_CONFIG", `issuers[${i}].siteKey: must be 1-512 printable ASCII`);
    }
    const host = new URL(baseUrl).hostname;
    if ((host === "invalid" || host.endsWith(".invalid")) && options.allowTestIssuers !== true) {
      throw new GateError(
        "ERR_CONFIG",
        `issuers[${i}].url: a test issuer (.invalid); only a gate created for tests trusts one (allowTestIssuers)`,
      );
    }
    const issuerName = issuer.issuerName ?? new URL(baseUrl).host;
    if (!isServerName(issuerName))
      throw new GateError("ERR_CONFIG", `issuers[${i}].issuerName: not a server name`);
    const gateway = new GatewayClient({ url: baseUrl, fetch: fetchImpl, timeoutMs, now });
    return {
      baseUrl,
      issuerName,
      siteKey: issuer.siteKey,
      keyLog: issuer.keyLog ?? true,
      gateway,
      directory: new DirectoryCache({ gateway, now }),
    };
  });
  const logger = options.logger === false ? SILENT_LOGGER : (options.logger ?? console);
  const minKeyEpochSeconds = options.minKeyEpochSeconds ?? DEFAULT_MIN_KEY_EPOCH_SECONDS;
  if (!Number.isSafeInteger(minKeyEpochSeconds) || minKeyEpochSeconds < 0) {
    throw new GateError("ERR_CONFIG", "minKeyEpochSeconds must be a non-negative integer");
  }
  const refusalPage = options.refusalPage;
  if (refusalPage !== undefined) {
    issuerBaseUrl(refusalPage.walletUrl, 0, "refusalPage.walletUrl");
    if (
      typeof refusalPage.browserModuleUrl !== "string" ||
      !/^[\x21-\x7e]{1,2048}$/.test(refusalPage.browserModuleUrl)
    ) {
      throw new GateError("ERR_CONFIG", "refusalPage.browserModuleUrl must be a URL or an absolute path");
    }
  }
  return {
    issuers,
    interval,
    proofPath,
    fetch: fetchImpl,
    now,
    timeoutMs,
    logger,
    refusalPage,
    minKeyEpochSeconds,
  };
}

function issuerBaseUrl(text: string, i: number, name = `issuers[${i}].url`): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new GateError("ERR_CONFIG", `${name}: not a URL`, { cause });
  }
  const secure =
    url.protocol === "https:" ||
    (url.protocol === "http:" && (LOOPBACK.has(url.hostname) || url.hostname.endsWith(".localhost")));
  if (!secure) throw new GateError("ERR_CONFIG", `${name}: must be https (http for localhost only)`);
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new GateError("ERR_CONFIG", `${name}: no credentials, query or fragment`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function isList(issuers: AgeGateOptions["issuers"]): issuers is readonly TrustedIssuer[] {
  return Array.isArray(issuers);
}
