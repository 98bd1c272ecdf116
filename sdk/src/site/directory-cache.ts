import { type GatewayClient, GatewayClientError } from "../client/index.js";
import type { IssuerDirectory } from "../protocol/index.js";
import { GateError } from "./errors.js";

/*
 * One trusted issuer's directory (RFC 9578 §4), fetched from `${baseUrl}/.well-known/private-token-issuer-directory`
 * and cached for the response's Cache-Control max-age (clamped to [MIN_DIRECTORY_TTL, MAX_DIRECTORY_TTL], default
 * DEFAULT_DIRECTORY_TTL). A forced refresh (a token with a key id we do not know) is rate-limited to one per
 * MIN_DIRECTORY_TTL. Concurrent callers share one fetch. When a refresh fails the last good copy keeps serving
 * (its keys still carry their not-after, and the gateway's check is authoritative); with no copy at all the
 * gate fails closed with GATEWAY_UNAVAILABLE.
 */

/** Default cache lifetime of a directory without Cache-Control max-age, in seconds. */
export const DEFAULT_DIRECTORY_TTL = 300;
/** Shortest cache lifetime, and shortest interval between forced refreshes, in seconds. */
export const MIN_DIRECTORY_TTL = 30;
/** Longest cache lifetime, in seconds. */
export const MAX_DIRECTORY_TTL = 24 * 60 * 60;

/** A directory as cached, with its fetch and expiry times (milliseconds). */
export interface CachedDirectory {
  readonly directory: IssuerDirectory;
  readonly fetchedAtMs: number;
  readonly expiresAtMs: number;
}

/** Options of {@link DirectoryCache}. */
export interface DirectoryCacheOptions {
  /** The issuer's gateway (fetch and time budget are its client's). */
  gateway: GatewayClient;
  /** Clock in milliseconds. */
  now: () => number;
}

/**
 * A cached, rate-limited view of one issuer's directory.
 *
 * @example
 * ```ts
 * const gateway = new GatewayClient({ url: "https://gateway.example" });
 * const cache = new DirectoryCache({ gateway, now: Date.now });
 * const { directory } = await cache.get();
 * ```
 */
export class DirectoryCache {
  readonly #options: DirectoryCacheOptions;
  #current: CachedDirectory | undefined;
  #inFlight: Promise<CachedDirectory> | undefined;
  #lastAttemptMs = Number.NEGATIVE_INFINITY;

  constructor(options: DirectoryCacheOptions) {
    this.#options = options;
  }

  /** The cached directory if fresh, else a fetched one (or the stale copy when the fetch fails). */
  async get(): Promise<CachedDirectory> {
    const now = this.#options.now();
    const current = this.#current;
    if (current === undefined) return this.#load();
    // Fresh, or stale after a failed refresh that is too recent to retry: serve the copy we have.
    if (now < current.expiresAtMs || now - this.#lastAttemptMs < MIN_DIRECTORY_TTL * 1000) return current;
    return this.#load();
  }

  /**
   * Fetch again unless the last attempt is younger than MIN_DIRECTORY_TTL; returns the (possibly unchanged)
   * directory. Used when a token names a key id the cache does not hold.
   */
  async refresh(): Promise<CachedDirectory> {
    const now = this.#options.now();
    const current = this.#current;
    if (current !== undefined && now - this.#lastAttemptMs < MIN_DIRECTORY_TTL * 1000) return current;
    return this.#load();
  }

  /** The cached directory without any network access, if one was ever fetched. */
  peek(): CachedDirectory | undefined {
    return this.#current;
  }

  #load(): Promise<CachedDirectory> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    this.#lastAttemptMs = this.#options.now();
    const load = this.#fetch().then(
      (fresh) => {
        this.#current = fresh;
        return fresh;
      },
      (error: unknown) => {
        if (this.#current !== undefined) return this.#current;
        throw error;
      },
    );
    this.#inFlight = load.finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #fetch(): Promise<CachedDirectory> {
    const { gateway, now } = this.#options;
    let read: Awaited<ReturnType<GatewayClient["directory"]>>;
    try {
      // Not retried inside a visitor's request beyond the client's budget: a stale copy serves meanwhile.
      read = await gateway.directory();
    } catch (cause) {
      const detail =
        cause instanceof GatewayClientError && cause.code === "ERR_ANSWER"
          ? "the gateway served an invalid directory"
          : cause instanceof GatewayClientError && cause.code === "ERR_STATUS"
            ? `the gateway answered ${cause.status}`
            : "the gateway cannot be reached";
      throw new GateError("ERR_GATEWAY_UNAVAILABLE", `issuer directory: ${detail}`, { cause });
    }
    const fetchedAtMs = now();
    const ttl = cacheSeconds(read.cacheControl);
    return { directory: read.directory, fetchedAtMs, expiresAtMs: fetchedAtMs + ttl * 1000 };
  }
}

/**
 * Seconds to cache for a Cache-Control value: its max-age clamped to [30, 86400], or the default (300).
 *
 * @example
 * ```ts
 * cacheSeconds("public, max-age=60"); // 60
 * cacheSeconds(null); // 300
 * ```
 */
export function cacheSeconds(cacheControl: string | null): number {
  if (cacheControl === null) return DEFAULT_DIRECTORY_TTL;
  const directives = cacheControl
    .toLowerCase()
    .split(",")
    .map((d) => d.trim());
  if (directives.includes("no-store") || directives.includes("no-cache")) return MIN_DIRECTORY_TTL;
  for (const d of directives) {
    const m = /^max-age\s*=\s*"?([0-9]{1,10})"?$/.exec(d);
    if (m?.[1] !== undefined) return Math.min(MAX_DIRECTORY_TTL, Math.max(MIN_DIRECTORY_TTL, Number(m[1])));
  }
  return DEFAULT_DIRECTORY_TTL;
}
