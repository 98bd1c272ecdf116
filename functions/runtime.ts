import { DynamoDBClient } from "@blindgate/aws-json/dynamodb";
import { TokenChallenge } from "@blindgate/sdk/protocol";
import { type GatewayConfig, parseConfig } from "./config.js";
import type { CachedProvider } from "./issuer/grants.js";
import { IssuerKeyCache } from "./issuer/key-cache.js";
import type { KeyVault } from "./issuer/key-vault.js";
import { BoundedCache } from "./services/bounded-cache.js";
import { ReportCounts } from "./services/report-counts.js";
import { dynamoStores } from "./stores/index.js";
import type { SiteRecord, Stores } from "./stores/types.js";

/*
 * What a handler stands on. On Lambda it is built once per container from the environment; tests and the local
 * server build it themselves (their own stores, a clock they move) with createDeps and pass it to the handler
 * factories. Everything a container keeps between requests lives here, made once by createDeps: no module of the
 * gateway holds mutable state of its own.
 */

/** What Deps is made from. */
export interface DepsParts {
  readonly config: GatewayConfig;
  readonly stores: Stores;
  readonly vault: KeyVault;
  /** Current time, epoch seconds. */
  readonly now: () => number;
}

export interface Deps extends DepsParts {
  /** The keys as this container sees them: table read every 30 s, private keys opened once. */
  readonly keyCache: IssuerKeyCache;
  /** Sites by API key hash (services/sites.ts). */
  readonly siteCache: BoundedCache<SiteRecord | undefined>;
  /** Providers and their imported JWKS (issuer/grants.ts). */
  readonly providerCache: BoundedCache<CachedProvider | undefined>;
  /** The directory's coarse issuance rate (services/issuance-rate.ts). */
  readonly rateCache: BoundedCache<number | undefined>;
  /** Counts for the transparency report, held until sent (services/report-counts.ts). */
  readonly reportCounts: ReportCounts;
  /** The issuer's cross-origin TokenChallenge, encoded (a tenth of a check's own CPU when made per request). */
  readonly issuerChallenge: Uint8Array;
}

/** Largest number of sites, providers and issuance-rate days a container caches. */
export const CACHE_SIZES = { sites: 10_000, providers: 1000, rates: 4 } as const;

/**
 * Deps with this container's caches, made once.
 *
 * @example
 * ```ts
 * const deps = createDeps({ config, stores, vault, now: systemClock });
 * ```
 */
export function createDeps(parts: DepsParts): Deps {
  return {
    config: parts.config,
    stores: parts.stores,
    vault: parts.vault,
    now: parts.now,
    keyCache: new IssuerKeyCache(parts.stores, parts.vault),
    siteCache: new BoundedCache(CACHE_SIZES.sites),
    providerCache: new BoundedCache(CACHE_SIZES.providers),
    rateCache: new BoundedCache(CACHE_SIZES.rates),
    reportCounts: new ReportCounts(parts.stores.reports, parts.config.reportFlushMs),
    issuerChallenge: TokenChallenge.crossOrigin(parts.config.issuerName).encode(),
  };
}

/** A Deps value, or a function that makes it on first use (Lambda cold start). */
export type DepsSource = Deps | (() => Promise<Deps>);

export const systemClock = (): number => Math.floor(Date.now() / 1000);

/**
 * The stores' DynamoDB client, the same on Lambda, in the local server and in the tests: @blindgate/aws-json, whose
 * one set of bounds (CALL_LIMITS: 2 attempts of at most 2 s, 1 s to connect) makes a route answer 503
 * ERR_UNAVAILABLE well inside its Lambda timeout when the store is down or slow. On Lambda (no endpoint) the
 * region and the role's credentials come from the environment; a local endpoint takes fixed local credentials.
 */
export function dynamoClient(endpoint: string | undefined): DynamoDBClient {
  if (endpoint === undefined) return new DynamoDBClient();
  return new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

/**
 * A vault for functions that never touch private keys (directory, check, key log, providers): any use is a bug.
 * Keeping KMS and the vault out of those functions keeps them out of their bundles and their IAM roles.
 */
export const noVault = async (): Promise<KeyVault> => {
  const refuse = async (): Promise<never> => {
    throw new Error("this function has no access to token private keys");
  };
  return { seal: refuse, open: refuse };
};

/**
 * Deps from the environment (Lambda and `npm run admin`). `makeVault` is given by the functions that sign or
 * rotate keys (functions/issuer/vault-from-env.ts); the others get {@link noVault}.
 */
export async function depsFromEnv(
  env: Record<string, string | undefined> = process.env,
  makeVault: (config: GatewayConfig) => Promise<KeyVault> = noVault,
): Promise<Deps> {
  const config = parseConfig(env);
  return createDeps({
    config,
    stores: dynamoStores(dynamoClient(config.dynamoEndpoint), config.tables),
    vault: await makeVault(config),
    now: systemClock,
  });
}

/** Resolve a DepsSource once and keep it (one per container). */
export function lazyDeps(source: DepsSource): () => Promise<Deps> {
  if (typeof source !== "function") return async () => source;
  let pending: Promise<Deps> | undefined;
  return () => {
    pending ??= source().catch((error: unknown) => {
      pending = undefined; // a failed cold start is retried by the next invocation
      throw error;
    });
    return pending;
  };
}
