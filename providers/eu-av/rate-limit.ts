import { createHmac, randomBytes } from "node:crypto";

/*
 * Session creation per client address: a fixed window (e.g. 10 sessions a minute) per address, so one client
 * cannot fill the sessions table or burn nonces by the thousand. Each session costs a write and is what a page of
 * one person needs once or twice; a person who reloads the page a few times stays far below the limit.
 *
 * Addresses are never kept as such: the key is an HMAC of the address under a random key made when the limiter is
 * (one per process, or per Lambda container), so the map holds nothing that names a person once the process ends,
 * and nothing from it is logged. The map is bounded (old windows are swept; past `maxKeys` the window with the fewest
 * events is forgotten: an address at its limit stays refused, and the map never grows without bound).
 *
 * On Lambda each container counts for itself; the deployment's per-address WAF rule (infra/constructs/
 * eu-av-provider.ts) is the limit across containers, and this one the limit behind it (and all of it locally).
 */

export interface RateLimiter {
  /** Count one event for `address` at `now` (epoch seconds); false when the address is over its limit. */
  take(address: string, now: number): boolean;
}

export interface WindowLimits {
  /** Events per address per window. */
  readonly limit: number;
  readonly windowSeconds: number;
  /** Addresses remembered at most (default 50,000). */
  readonly maxKeys?: number;
}

/**
 * A fixed-window limiter in memory.
 *
 * @example
 * ```ts
 * const limiter = new WindowRateLimiter({ limit: 10, windowSeconds: 60 });
 * if (!limiter.take(sourceIp, Math.floor(Date.now() / 1000))) throw new EuAvError("ERR_RATE_LIMITED", "...");
 * ```
 */
export class WindowRateLimiter implements RateLimiter {
  readonly #key = randomBytes(32);
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(readonly limits: WindowLimits) {}

  take(address: string, now: number): boolean {
    const id = createHmac("sha256", this.#key).update(address).digest("base64url");
    const start = now - (now % this.limits.windowSeconds);
    const window = this.#windows.get(id);
    if (window === undefined || window.start !== start) {
      if (this.#windows.size >= (this.limits.maxKeys ?? 50_000)) this.#sweep(start);
      this.#windows.set(id, { start, count: 1 });
      return true;
    }
    if (window.count >= this.limits.limit) return false;
    window.count++;
    return true;
  }

  /** Seconds until the current window ends (the Retry-After of a refusal). */
  retryAfter(now: number): number {
    return this.limits.windowSeconds - (now % this.limits.windowSeconds);
  }

  #sweep(start: number): void {
    for (const [id, w] of this.#windows) if (w.start !== start) this.#windows.delete(id);
    if (this.#windows.size < (this.limits.maxKeys ?? 50_000)) return;
    let quietest: string | undefined;
    let fewest = Number.POSITIVE_INFINITY;
    for (const [id, w] of this.#windows)
      if (w.count < fewest) {
        fewest = w.count;
        quietest = id;
      }
    if (quietest !== undefined) this.#windows.delete(quietest);
  }
}
