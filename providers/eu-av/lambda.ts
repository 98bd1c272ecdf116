import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { importGrantKey } from "@blindgate/sdk/provider";
import { euAvConfigFromEnv } from "./config.js";
import { createEuAvHandler } from "./handler.js";
import type { EuAvDeps } from "./service.js";
import { DynamoSessionStore } from "./sessions.js";
import { parseTrustedIacas, splitPemBundle } from "./trust.js";

/*
 * The deployed entry: dependencies from the environment, once per container (config.ts lists the variables). The
 * grant key is read from EU_AV_GRANT_KEY, which the deployment fills from a secret store; it is never logged.
 */

export async function euAvDepsFromEnv(
  env: Record<string, string | undefined> = process.env,
): Promise<EuAvDeps> {
  const config = euAvConfigFromEnv(env);
  const endpoint = env.DYNAMO_ENDPOINT;
  const client =
    endpoint === undefined
      ? new DynamoDBClient({})
      : new DynamoDBClient({
          endpoint,
          region: env.AWS_REGION ?? "local",
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
        });
  return {
    config,
    trust: parseTrustedIacas(splitPemBundle(env.EU_AV_TRUSTED_IACAS ?? "")),
    sessions: new DynamoSessionStore(client, env.EU_AV_SESSIONS_TABLE ?? ""),
    grantKey: await importGrantKey(JSON.parse(env.EU_AV_GRANT_KEY ?? "{}")),
    now: () => new Date(),
  };
}

export const handler = createEuAvHandler(() => euAvDepsFromEnv());
