import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KMSClient } from "@aws-sdk/client-kms";
import { type GatewayConfig, parseConfig } from "./config.js";
import { createKmsKeyVault, createLocalKeyVault, type KeyVault } from "./issuer/key-vault.js";
import { dynamoStores } from "./stores/dynamo.js";
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

export function dynamoClient(endpoint: string | undefined): DynamoDBClient {
  if (endpoint === undefined) return new DynamoDBClient({});
  return new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

/** Deps from the environment (Lambda and `npm start`). */
export async function depsFromEnv(env: Record<string, string | undefined> = process.env): Promise<Deps> {
  const config = parseConfig(env);
  const vault =
    config.kmsKeyId !== undefined
      ? createKmsKeyVault(new KMSClient({}), config.kmsKeyId)
      : await createLocalKeyVault(config.dataKeyFile as string);
  return {
    config,
    stores: dynamoStores(dynamoClient(config.dynamoEndpoint), config.tables),
    vault,
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
