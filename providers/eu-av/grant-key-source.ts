import { AwsJsonClient, type AwsJsonService } from "@blindgate/aws-json";
import { type GrantKey, importGrantKey } from "@blindgate/sdk/provider";
import type { JWK } from "jose";
import { EuAvConfigError } from "./errors.js";

/*
 * Where the deployed provider gets its grant key, once per container (cold start):
 *
 *   EU_AV_GRANT_KEY_SECRET_ARN  the deployment: Secrets Manager GetSecretValue on that ARN, the SecretString being
 *                               the private JWK. The template and the function's configuration hold the ARN only.
 *   EU_AV_GRANT_KEY             tests and local runs: the private JWK itself.
 *
 * Exactly one of the two. Every failure is an EuAvConfigError naming the variable, made here without the value
 * or the parser's message as text or cause (JSON.parse quotes its input in its message).
 *
 * The call goes through the AWS JSON-protocol client the gateway's functions use (@blindgate/aws-json: SigV4 on
 * node:crypto, its one set of attempts and timeouts, credentials from the function's environment), not through
 * @aws-sdk/client-secrets-manager: one request at cold start does not need a second SDK client in the bundle.
 */

export const GRANT_KEY_SECRET_ENV = "EU_AV_GRANT_KEY_SECRET_ARN";
export const GRANT_KEY_ENV = "EU_AV_GRANT_KEY";

/** Secrets Manager's JSON protocol (1.1). */
const SECRETS_MANAGER: AwsJsonService = {
  name: "secretsmanager",
  envName: "SECRETS_MANAGER",
  targetPrefix: "secretsmanager",
  contentType: "application/x-amz-json-1.1",
  blobFields: new Set(["SecretBinary"]),
};

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;

/**
 * The grant key from the environment (see above).
 *
 * @example
 * ```ts
 * const grantKey = await grantKeyFromEnv(process.env);
 * ```
 */
export async function grantKeyFromEnv(env: Record<string, string | undefined>): Promise<GrantKey> {
  const arn = env[GRANT_KEY_SECRET_ENV];
  const inline = env[GRANT_KEY_ENV];
  if (arn !== undefined && arn !== "" && inline !== undefined && inline !== "") {
    throw new EuAvConfigError(GRANT_KEY_ENV, `must not be set together with ${GRANT_KEY_SECRET_ENV}`);
  }
  if (arn !== undefined && arn !== "") {
    if (!SECRET_ARN.test(arn)) throw new EuAvConfigError(GRANT_KEY_SECRET_ENV, "is not a secret ARN");
    return importJwkText(await readSecretString(arn, env), GRANT_KEY_SECRET_ENV);
  }
  if (inline !== undefined && inline !== "") return importJwkText(inline, GRANT_KEY_ENV);
  throw new EuAvConfigError(GRANT_KEY_SECRET_ENV, `is missing (or set ${GRANT_KEY_ENV} outside AWS)`);
}

async function readSecretString(arn: string, env: Record<string, string | undefined>): Promise<string> {
  const region = arn.split(":")[3] ?? "";
  const endpoint = env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? env.AWS_ENDPOINT_URL;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  const sessionToken = env.AWS_SESSION_TOKEN;
  const client = new AwsJsonClient(SECRETS_MANAGER, {
    region,
    ...(endpoint !== undefined && endpoint !== "" ? { endpoint } : {}),
    // The role's credentials, from the environment given (on Lambda: process.env, where the runtime puts them).
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
  });
  try {
    const out = await client.call("GetSecretValue", { SecretId: arn });
    if (typeof out.SecretString !== "string") {
      throw new EuAvConfigError(GRANT_KEY_SECRET_ENV, "names a secret without a SecretString");
    }
    return out.SecretString;
  } catch (error) {
    if (error instanceof EuAvConfigError) throw error;
    // The service's error type only (AccessDeniedException, ResourceNotFoundException, ...).
    const type = error instanceof Error ? error.name : "Error";
    throw new EuAvConfigError(GRANT_KEY_SECRET_ENV, `could not be read from Secrets Manager (${type})`);
  } finally {
    client.destroy();
  }
}

async function importJwkText(text: string, variable: string): Promise<GrantKey> {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new EuAvConfigError(variable, "does not hold a JSON private JWK");
  }
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) {
    throw new EuAvConfigError(variable, "does not hold a JSON private JWK");
  }
  try {
    return await importGrantKey(jwk as JWK);
  } catch {
    throw new EuAvConfigError(variable, "does not hold a P-256 private JWK (ES256 grant key)");
  }
}
