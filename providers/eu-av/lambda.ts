import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { DynamoDBClient } from "@blindgate/aws-json/dynamodb";
import { euAvConfigFromEnv } from "./config.js";
import { EuAvConfigError } from "./errors.js";
import { grantKeyFromEnv } from "./grant-key-source.js";
import { createEuAvHandler } from "./handler.js";
import { WindowRateLimiter } from "./rate-limit.js";
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
  const trust = trustFromEnv(env);
  const table = env[SESSIONS_TABLE.env];
  if (table === undefined || table === "") throw new EuAvConfigError(SESSIONS_TABLE.env, "is missing");
  if (!TABLE_NAME.test(table)) throw new EuAvConfigError(SESSIONS_TABLE.env, "is not a DynamoDB table name");
  const client = new DynamoDBClient(dynamoOptions(env.DYNAMO_ENDPOINT, env.AWS_REGION));
  return {
    config,
    trust,
    sessions: new DynamoSessionStore(client, table),
    grantKey: await grantKeyFromEnv(env),
    sessionLimiter: new WindowRateLimiter({ limit: config.sessionsPerMinute, windowSeconds: 60 }),
    now: () => new Date(),
  };
}

/**
 * The trusted IACAs: EU_AV_TRUSTED_IACAS (the PEM bundle itself), or EU_AV_TRUSTED_IACAS_FILE (a PEM bundle file,
 * relative to the function's package: the deployment ships it there, as Lambda's 4 KB of environment holds only a
 * few certificates).
 */
function trustFromEnv(env: Record<string, string | undefined>): TrustedIacas {
  const inline = env.EU_AV_TRUSTED_IACAS;
  const file = env.EU_AV_TRUSTED_IACAS_FILE;
  const has = (v: string | undefined): v is string => v !== undefined && v.trim() !== "";
  if (has(inline) && has(file)) {
    throw new EuAvConfigError(
      "EU_AV_TRUSTED_IACAS",
      "must not be set together with EU_AV_TRUSTED_IACAS_FILE",
    );
  }
  const variable = has(file) ? "EU_AV_TRUSTED_IACAS_FILE" : "EU_AV_TRUSTED_IACAS";
  let bundle: string;
  if (has(file)) {
    try {
      bundle = readFileSync(
        isAbsolute(file) ? file : join(env.LAMBDA_TASK_ROOT ?? process.cwd(), file),
        "utf8",
      );
    } catch {
      throw new EuAvConfigError(variable, "names a file that cannot be read");
    }
  } else if (has(inline)) {
    bundle = inline;
  } else {
    throw new EuAvConfigError("EU_AV_TRUSTED_IACAS", "is missing (or set EU_AV_TRUSTED_IACAS_FILE)");
  }
  try {
    return parseTrustedIacas(splitPemBundle(bundle));
  } catch (error) {
    // parseTrustedIacas says what is wrong ("not a CA certificate", "the list is empty"), never the bytes.
    const why = error instanceof TypeError ? error.message : "a certificate does not parse";
    throw new EuAvConfigError(variable, `is not a PEM bundle of IACA certificates (${why})`);
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
