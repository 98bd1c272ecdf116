import { DynamoDBClient } from "@blindgate/aws-json/dynamodb";
import { type GatewayConfig, parseConfig } from "./config.js";
import type { KeyVault } from "./issuer/key-vault.js";
import { dynamoStores } from "./stores/index.js";
import type { Stores } from "./stores/types.js";

/*
 * What a handler stands on. On Lambda it is built once per container from the environment; tests and the local
 * server build it themselves (their own stores, a clock they move) and pass it to the handler factories.
 */

export interface Deps {
  readonly config: GatewayConfig;
  readonly stores: Stores;
  readonly vault: KeyVault;
  /** Current time, epoch seconds. */
  readonly now: () => number;
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
  return {
    config,
    stores: dynamoStores(dynamoClient(config.dynamoEndpoint), config.tables),
    vault: await makeVault(config),
    now: systemClock,
  };
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
