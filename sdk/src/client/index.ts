// @blindgate/sdk/client: the one client of a blindgate gateway (fetch only: browsers, workers, Node).
export type { GatewayClientErrorCode, GatewayClientErrorDetails } from "./errors.js";
export { GatewayClientError } from "./errors.js";
export type {
  CheckCall,
  DirectoryRead,
  GatewayClientOptions,
  IssueAnswer,
} from "./gateway-client.js";
export {
  DEFAULT_ATTEMPTS,
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_TIMEOUT_MS,
  GatewayClient,
  RETRYABLE_STATUSES,
  retryAfterMs,
} from "./gateway-client.js";
export type { KeyLogPageFetcher, KeyLogRead } from "./key-log.js";
export { assertKeyLog, MAX_KEY_LOG_ENTRIES, readKeyLog } from "./key-log.js";
