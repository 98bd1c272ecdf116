export type { ProviderErrorCode } from "./errors.js";
export { ProviderError } from "./errors.js";
export type {
  GenerateGrantKeyOptions,
  GrantJwks,
  GrantKey,
  GrantPublicJwk,
  GrantPublicKey,
} from "./grant-key.js";
export {
  exportGrantJwks,
  exportGrantPrivateJwk,
  GRANT_ALG,
  generateGrantKey,
  importGrantKey,
} from "./grant-key.js";
export type { GrantErrorMessage, GrantMessage, MessageTarget } from "./handoff.js";
export {
  grantError,
  grantErrorFor,
  grantMessage,
  grantMessageFor,
  isOnOrigin,
  isOrigin,
  postToWallet,
  walletReturnUrl,
} from "./handoff.js";
export type { GrantInterval, IntervalOptions } from "./interval-from-birth-date.js";
export { intervalFromBirthDate } from "./interval-from-birth-date.js";
export type { GrantClaims, GrantInput } from "./sign-grant.js";
export {
  BELOW_UNTIL_UNIT_SECONDS,
  DEFAULT_GRANT_TTL_SECONDS,
  GRANT_INPUT_RULES,
  MAX_GRANT_TOKENS,
  MAX_GRANT_TTL_SECONDS,
  signGrant,
} from "./sign-grant.js";
