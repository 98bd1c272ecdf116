export type { EuAvConfigInput } from "./config.js";
export { CONFIG_ENV, euAvConfigFromEnv, parseEuAvConfig } from "./config.js";
export { AV_CREDENTIAL_ID, AV_DOCTYPE, AV_NAMESPACE } from "./constants.js";
export type { EuAvErrorCode } from "./errors.js";
export { EuAvConfigError, EuAvError } from "./errors.js";
export { GRANT_KEY_ENV, GRANT_KEY_SECRET_ENV, grantKeyFromEnv } from "./grant-key-source.js";
export { createEuAvHandler } from "./handler.js";
export type { EuAvProvider, EuAvProviderOptions } from "./local.js";
export { startEuAvProvider } from "./local.js";
export { mdocContext } from "./mdoc-context.js";
export type { RateLimiter } from "./rate-limit.js";
export { WindowRateLimiter } from "./rate-limit.js";
export { dcApiRequest, dcqlQuery, redirectRequest } from "./request.js";
export type { EuAvConfig, EuAvDeps, Handoff } from "./service.js";
export {
  collectResult,
  DEFAULT_THRESHOLDS,
  openSession,
  receiveDcApi,
  receiveDirectPost,
  receiveWalletError,
} from "./service.js";
export { dcApiSessionTranscript, redirectSessionTranscript } from "./session-transcript.js";
export type { PresentationSession, SessionStore } from "./sessions.js";
export { DynamoSessionStore, MemorySessionStore } from "./sessions.js";
export { createSessionsTable, SESSIONS_TABLE } from "./table.js";
export type { TrustedIacas } from "./trust.js";
export { parseTrustedIacas, splitPemBundle, validateIssuerChain } from "./trust.js";
export type { AgeResult } from "./verify-presentation.js";
export { verifyAgePresentation } from "./verify-presentation.js";
