/*
 * Stands in for @aws-sdk/credential-provider-node inside the Lambda bundles (esbuild alias, see bundling.ts).
 *
 * On Lambda the function's role credentials are in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN) for the life of the execution environment: the SDK's own chain finds them at its first link,
 * `fromEnv`. The rest of the chain (SSO, INI files, web identity, process, instance metadata) and the STS/SSO
 * clients it carries are dead weight in a function: about a third of the bundle and of the cold import.
 * Local mode, tests and the admin CLI are not bundled and keep the full chain.
 */

export interface EnvCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

export class LambdaCredentialsError extends Error {
  override readonly name = "CredentialsProviderError";
}

/** Same shape as the SDK's defaultProvider: (init) => credentials provider. */
export function defaultProvider(_init?: unknown): () => Promise<EnvCredentials> {
  return async () => {
    const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new LambdaCredentialsError("no AWS credentials in the environment (AWS_ACCESS_KEY_ID)");
    }
    const sessionToken = process.env.AWS_SESSION_TOKEN;
    const expiration = process.env.AWS_CREDENTIAL_EXPIRATION;
    return {
      accessKeyId,
      secretAccessKey,
      ...(sessionToken ? { sessionToken } : {}),
      ...(expiration ? { expiration: new Date(expiration) } : {}),
    };
  };
}
