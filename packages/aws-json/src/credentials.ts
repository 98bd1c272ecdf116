/*
 * The credentials of a client given none: the function's role credentials, which Lambda puts in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) for the life of the execution environment. The
 * SDK's chain finds them at its first link, `fromEnv`; the rest of it (SSO, INI files, web identity, process,
 * instance metadata, with the STS and SSO clients it carries) is never used by a function. The local server, the
 * tests and the admin CLI give their credentials (or the environment's) explicitly.
 */

export interface EnvCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** No credentials in the environment: nothing is sent. `name` is the SDK's for the same failure. */
export class CredentialsProviderError extends Error {
  override readonly name = "CredentialsProviderError";
}

/** The role's credentials from the environment, read at each call. */
export async function environmentCredentials(): Promise<EnvCredentials> {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new CredentialsProviderError("no AWS credentials in the environment (AWS_ACCESS_KEY_ID)");
  }
  const sessionToken = process.env.AWS_SESSION_TOKEN;
  const expiration = process.env.AWS_CREDENTIAL_EXPIRATION;
  return {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    ...(expiration ? { expiration: new Date(expiration) } : {}),
  };
}
