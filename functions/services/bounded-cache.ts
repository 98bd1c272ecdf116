/*
 * A per-container cache with a size bound and an expiry per entry, evicting the least recently used entry when
 * full (a flood of junk keys pushes out only the oldest, never the whole cache). Sites and providers are cached
 * this way, so a check or an issue request costs no read of their table most of the time, and a suspension takes
 * effect within the entry's lifetime.
 */

/**
 * Least-recently-used cache with expiring entries.
 *
 * @example
 * ```ts
 * const sites = new BoundedCache<SiteRecord | undefined>(10_000);
 * const site = await sites.get(hash, now, 60, () => stores.sites.getByKeyHash(hash));
 * ```
 */
export class BoundedCache<V> {
  // A Map iterates in insertion order: re-inserting on each hit keeps the least recently used first.
  readonly #entries = new Map<string, { value: V; until: number }>();
  readonly #loading = new Map<string, Promise<V>>();

  constructor(readonly maxEntries: number) {}

  /** The cached value, or `load()`'s (kept for `ttl(value)` seconds); concurrent misses share one load. */
  async get(key: string, now: number, ttl: (value: V) => number, load: () => Promise<V>): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit !== undefined && hit.until > now) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.value;
    }
    let loading = this.#loading.get(key);
    if (loading === undefined) {
      loading = load().finally(() => this.#loading.delete(key));
      this.#loading.set(key, loading);
    }
    const value = await loading;
    this.#entries.delete(key);
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, { value, until: now + ttl(value) });
    return value;
  }

  /** Whether a live entry exists (for tests and metrics). */
  has(key: string, now: number): boolean {
    const hit = this.#entries.get(key);
    return hit !== undefined && hit.until > now;
  }

  get size(): number {
    return this.#entries.size;
  }
}
