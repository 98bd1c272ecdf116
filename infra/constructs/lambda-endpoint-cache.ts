/*
 * Stands in for @aws-sdk/endpoint-cache inside the Lambda bundles (esbuild alias, see bundling.ts).
 *
 * The DynamoDB client creates one endpoint cache per client for endpoint discovery, a feature that is off unless
 * AWS_ENABLE_ENDPOINT_DISCOVERY (or the client option) turns it on; the gateway never does. The SDK's cache is an
 * LRU from `mnemonist` (7.5 KiB of every bundle). This one keeps the same interface and semantics (addresses with
 * an expiry, a random live address per key) over a Map that is emptied when it outgrows its capacity, so the
 * client still works if discovery is ever turned on.
 */

export interface Endpoint {
  readonly Address: string;
  readonly CachePeriodInMinutes: number;
}

interface EndpointWithExpiry {
  readonly Address: string;
  readonly Expires: number;
}

export class EndpointCache {
  private readonly cache = new Map<string, EndpointWithExpiry[]>();

  constructor(private readonly capacity: number) {}

  getEndpoint(key: string): string | undefined {
    const live = this.get(key);
    if (live === undefined || live.length === 0) return undefined;
    return live[Math.floor(Math.random() * live.length)]?.Address;
  }

  get(key: string): EndpointWithExpiry[] | undefined {
    const value = this.cache.get(key);
    if (value === undefined) return undefined;
    const now = Date.now();
    const live = value.filter((e) => now < e.Expires);
    if (live.length === 0) {
      this.delete(key);
      return undefined;
    }
    return live;
  }

  set(key: string, endpoints: readonly Endpoint[]): void {
    if (!this.cache.has(key) && this.cache.size >= this.capacity) this.cache.clear();
    const now = Date.now();
    this.cache.set(
      key,
      endpoints.map(({ Address, CachePeriodInMinutes }) => ({
        Address,
        Expires: now + CachePeriodInMinutes * 60 * 1000,
      })),
    );
  }

  delete(key: string): void {
    this.cache.set(key, []);
  }

  has(key: string): boolean {
    const value = this.cache.get(key);
    return value !== undefined && value.length > 0;
  }

  clear(): void {
    this.cache.clear();
  }
}
