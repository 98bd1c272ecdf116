import { randomBytes } from "node:crypto";
import { type AgeInterval, intervalKey, isBand, parseIntervalKey } from "@blindgate/sdk/protocol";
import * as z from "zod/mini";
import { hashApiKey } from "../services/sites.js";
import type {
  PartyStatus,
  ProviderRecord,
  ProviderSettingsStore,
  SiteRecord,
  Stores,
} from "../stores/index.js";

/*
 * Onboarding, the same operations for the CLI (`npm run admin`), the local server and tests. Inputs are checked
 * here, once: a provider's JWKS must hold ES256 public keys only (never a private "d"), a verify URL must be
 * https (or http on localhost).
 */

const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));

const publicEcJwk = z.strictObject({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: text(40, 48),
  y: text(40, 48),
  kid: text(1, 128),
  alg: z.optional(z.literal("ES256")),
  use: z.optional(z.literal("sig")),
}); // strict: a private key ("d") or anything else in the JWKS is refused

const providerInput = z.object({
  id: z.optional(
    z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "lowercase letters, digits and dashes")),
  ),
  name: text(1, 100),
  /** The name in other languages, by language tag ("fr"), for the wallet's list of providers. */
  names: z.optional(
    z
      .record(z.string().check(z.regex(/^[a-z]{2,3}$/, "a language tag such as fr")), text(1, 100))
      .check(
        z.refine((names: Record<string, string>) => Object.keys(names).length <= 16, "at most 16 languages"),
      ),
  ),
  verifyUrl: z.url().check(
    z.refine((u: string) => {
      const url = new URL(u);
      return url.protocol === "https:" || (url.protocol === "http:" && isLocalHost(url.hostname));
    }, "https (or http on localhost)"),
  ),
  jwks: z.object({ keys: z.array(publicEcJwk).check(z.minLength(1), z.maxLength(8)) }),
  monthlyQuota: z._default(z.int().check(z.positive(), z.maximum(1e12)), 1_000_000),
  /**
   * The highest age threshold the provider may attest; a grant above it is issued at it (the provider said what the
   * person is, the operator capped what this provider may vouch for).
   */
  maxThreshold: z._default(z.int().check(z.minimum(1), z.maximum(150)), 21),
  /** The bands the provider may attest ("13-16"); none by default: vouching for minors is a decision of its own. */
  bands: z.optional(z.array(z.string()).check(z.maxLength(32))),
  /** Band grants a month (UTC); absent: bounded by the token quota only. */
  monthlyBandQuota: z.optional(z.int().check(z.nonnegative(), z.maximum(1e12))),
});

/**
 * Band ids as the providers table keeps them ("13-16"), from an operator's list ("13-16,16-18" or an array);
 * AdminError naming the item when one is not a band.
 */
export function parseBandRights(input: string | readonly string[]): string[] {
  const items = (typeof input === "string" ? input.split(",") : [...input])
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 1 && items[0] === "none") return [];
  const out = new Set<string>();
  for (const item of items) {
    let band: AgeInterval;
    try {
      band = parseIntervalKey(item);
    } catch {
      throw new AdminError(`bands: "${item.slice(0, 16)}" is not a band FROM-BELOW such as 13-16`);
    }
    if (!isBand(band))
      throw new AdminError(`bands: "${item}" has no upper age: a band is FROM-BELOW, such as 13-16`);
    out.add(intervalKey(band));
  }
  return [...out];
}

function isLocalHost(host: string): boolean {
  return host === "localhost" || host.endsWith(".localhost") || host === "127.0.0.1" || host === "[::1]";
}

export type ProviderInput = z.input<typeof providerInput>;

export class AdminError extends Error {
  override name = "AdminError";
}

function parse<T>(schema: z.ZodMiniType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || what}: ${i.message}`).join("; ");
    throw new AdminError(`${what}: ${problems}`);
  }
  return result.data;
}

export async function addProvider(
  stores: Stores,
  input: ProviderInput,
  now: number,
): Promise<ProviderRecord> {
  const p = parse(providerInput, input, "provider");
  const id =
    p.id ??
    p.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 63);
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(id)) throw new AdminError("provider: give an id (--id)");
  const record: ProviderRecord = {
    id,
    name: p.name,
    ...(p.names === undefined || Object.keys(p.names).length === 0 ? {} : { names: p.names }),
    verifyUrl: p.verifyUrl,
    jwks: p.jwks,
    status: "active",
    monthlyQuota: p.monthlyQuota,
    maxThreshold: p.maxThreshold,
    ...(p.bands === undefined ? {} : { bands: parseBandRights(p.bands) }),
    ...(p.monthlyBandQuota === undefined ? {} : { monthlyBandQuota: p.monthlyBandQuota }),
    createdAt: now,
  };
  if (!(await stores.providers.add(record))) {
    throw new AdminError(
      `provider ${id} exists already: adding never changes a provider (use suspend / activate, set-quota, set-max-threshold, or a new id)`,
    );
  }
  return record;
}

/** A new site and its API key. The key is shown once; only its SHA-256 is stored. */
export async function addSite(
  stores: Stores,
  input: { name: string; id?: string },
  now: number,
): Promise<{ site: SiteRecord; apiKey: string }> {
  const name = parse(text(1, 100), input.name, "site name");
  const id = input.id ?? `site-${randomBytes(6).toString("hex")}`;
  const apiKey = `bgs_${randomBytes(32).toString("base64url")}`;
  const site: SiteRecord = { apiKeyHash: hashApiKey(apiKey), id, name, status: "active", createdAt: now };
  if (!(await stores.sites.add(site))) throw new AdminError(`site ${id} exists already`);
  return { site, apiKey };
}

export async function setProviderStatus(stores: Stores, id: string, status: PartyStatus): Promise<void> {
  if (!(await stores.providers.setStatus(id, status))) throw new AdminError(`no provider ${id}`);
}

export async function setSiteStatus(stores: Stores, id: string, status: PartyStatus): Promise<void> {
  if (!(await stores.sites.setStatus(id, status))) throw new AdminError(`no site ${id}`);
}

const quotaValue = z.int().check(z.positive(), z.maximum(1e12));
const thresholdValue = z.int().check(z.minimum(1), z.maximum(150));

/** Set a provider's monthly token quota (UTC month); the month's usage so far is kept. */
export async function setProviderQuota(
  settings: ProviderSettingsStore,
  id: string,
  quota: number,
): Promise<void> {
  const monthlyQuota = parse(quotaValue, quota, "quota");
  if (!(await settings.update(id, { monthlyQuota }))) throw new AdminError(`no provider ${id}`);
}

/**
 * Set the bands a provider may attest ("13-16,16-18", or "none") and, optionally, its monthly band-grant quota.
 * Takes effect within the issue function's provider cache (a minute).
 */
export async function setProviderBands(
  settings: ProviderSettingsStore,
  id: string,
  bands: string,
  monthlyBandQuota?: number,
): Promise<string[]> {
  const rights = parseBandRights(bands);
  const quota =
    monthlyBandQuota === undefined ? undefined : parse(bandQuotaValue, monthlyBandQuota, "band quota");
  if (
    !(await settings.update(id, {
      bands: rights,
      ...(quota === undefined ? {} : { monthlyBandQuota: quota }),
    }))
  ) {
    throw new AdminError(`no provider ${id}`);
  }
  return rights;
}

const bandQuotaValue = z.int().check(z.nonnegative(), z.maximum(1e12));

/** Set the highest age threshold a provider may attest (its grants' age_over). */
export async function setProviderMaxThreshold(
  settings: ProviderSettingsStore,
  id: string,
  threshold: number,
): Promise<void> {
  const maxThreshold = parse(thresholdValue, threshold, "threshold");
  if (!(await settings.update(id, { maxThreshold }))) throw new AdminError(`no provider ${id}`);
}
