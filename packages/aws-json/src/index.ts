export {
  type AwsCredentials,
  AwsJsonClient,
  type AwsJsonClientConfig,
  type AwsJsonService,
  AwsServiceError,
} from "./client.js";
export { CredentialsProviderError, type EnvCredentials, environmentCredentials } from "./credentials.js";
export { CALL_LIMITS } from "./limits.js";
export { amzDate, canonicalPath, type SigV4Credentials, type SigV4Request, SigV4Signer } from "./sigv4.js";
