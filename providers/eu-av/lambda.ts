import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { euAvConfigFromEnv } from "./config.js";
import { EuAvConfigError } from "./errors.js";
import { grantKeyFromEnv } from "./grant-key-source.js";
import { createEuAvHandler } from "./handler.js";
import type { EuAvDeps } from "./service.js";
import { DynamoSessionStore } from "./sessions.js";
import { SESSIONS_TABLE } from "./table.js";
import { parseTrustedIacas, splitPemBundle, type TrustedIacas } from "./trust.js";

/*
 * The deployed entry: dependencies from the environment, once per container (config.ts lists the variables).
 * Every missing or bad variable is an EuAvConfigError naming it (never quoting its value); the handler answers a
 * generic 500 and retries on the next request, so a fixed configuration needs no redeploy of the code. The grant
 * key comes from Secrets Manager by ARN (grant-key-source.ts) and is never logged.
 */

/** DynamoDB table names: 3 to 255 of [A-Za-z0-9_.-]. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

export async function euAvDepsFromEnv(
  env: Record<string, string | undefined> = process.env,
): Promise<EuAvDeps> {
  const config = euAvConfigFromEnv(env);
  const trust = trustFromEnv(env.EU_AV_TRUSTED_IACAS);
  const table = env[SESSIONS_TABLE.env];
  if (table === undefined || table === "") throw new EuAvConfigError(SESSIONS_TABLE.env, "is missing");
  if (!TABLE_NAME.test(table)) throw new EuAvConfigError(SESSIONS_TABLE.env, "is not a DynamoDB table name");
  const client = new DynamoDBClient(dynamoOptions(env.DYNAMO_ENDPOINT, env.AWS_REGION));
  return {
    config,
    trust,
    sessions: new DynamoSessionStore(client, table),
    grantKey: await grantKeyFromEnv(env),
    now: () => new Date(),
  };
}

function trustFromEnv(bundle: string | undefined): TrustedIacas {
  if (bundle === undefined || bundle.trim() === "")
    throw new EuAvConfigError("EU_AV_TRUSTED_IACAS", "is missing");
  try {
    return parseTrustedIacas(splitPemBundle(bundle));
  } catch (error) {
    // parseTrustedIacas says what is wrong ("not a CA certificate", "the list is empty"), never the bytes.
    const why = error instanceof TypeError ? error.message : "a certificate does not parse";
    throw new EuAvConfigError("EU_AV_TRUSTED_IACAS", `is not a PEM bundle of IACA certificates (${why})`);
  }
}

/** A local DynamoDB endpoint (tests, local runs) or the region's service with the role's credentials. */
function dynamoOptions(endpoint: string | undefined, region: string | undefined) {
  if (endpoint === undefined || endpoint === "") return {};
  if (!URL.canParse(endpoint)) throw new EuAvConfigError("DYNAMO_ENDPOINT", "is not a URL");
  return {
    endpoint,
    region: region ?? "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
}

export const handler = createEuAvHandler(() => euAvDepsFromEnv());
