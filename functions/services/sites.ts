import { createHash } from "node:crypto";
import { GatewayError } from "../errors.js";
import type { Deps } from "../runtime.js";
import type { SiteRecord } from "../stores/index.js";

/*
 * Sites authenticate to the check route with an API key; the gateway keeps only its SHA-256 (sites table key).
 * Sites are cached per container for SITE_CACHE_SECONDS, unknown keys briefly too, so a check costs one
 * conditional write and a client hammering with bad keys does not hammer the table.
 */

export const SITE_CACHE_SECONDS = 60;
export const UNKNOWN_SITE_CACHE_SECONDS = 10;

/**
 * The stored form of a site API key.
 *
 * @example
 * ```ts
 * await stores.sites.getByKeyHash(hashApiKey(apiKey));
 * ```
 */
export function hashApiKey(apiKey: string): string {
  return createHash("sha256").update(apiKey).digest("hex");
}

/**
 * The active site holding this API key. Throws GatewayError ERR_SITE_KEY_MISSING / ERR_SITE_KEY_INVALID (401)
 * or ERR_SITE_SUSPENDED (403).
 *
 * @example
 * ```ts
 * const site = await authenticateSite(deps, bearer(event), deps.now());
 * ```
 */
export async function authenticateSite(
  deps: Deps,
  apiKey: string | undefined,
  now: number,
): Promise<SiteRecord> {
  if (apiKey === undefined) {
    throw new GatewayError("ERR_SITE_KEY_MISSING", "a site API key is required (Bearer)", {
      headers: { "www-authenticate": "Bearer" },
    });
  }
  const hash = hashApiKey(apiKey);
  const site = await deps.siteCache.get(
    hash,
    now,
    (s) => (s === undefined ? UNKNOWN_SITE_CACHE_SECONDS : SITE_CACHE_SECONDS),
    () => deps.stores.sites.getByKeyHash(hash),
  );
  if (site === undefined) throw new GatewayError("ERR_SITE_KEY_INVALID", "unknown site API key");
  if (site.status !== "active") throw new GatewayError("ERR_SITE_SUSPENDED", "this site is suspended");
  return site;
}
