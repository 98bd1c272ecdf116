export type {
  AgeGateAttributes,
  AgeGateElement,
  AgeGateElementOptions,
  AgeGateEventDetails,
  AgeGateEventMap,
} from "./age-gate.js";
export { defineAgeGate } from "./age-gate.js";
export type { BrowserErrorCode } from "./errors.js";
export { BrowserError } from "./errors.js";
export type {
  GrantErrorMessage,
  GrantMessage,
  ProofOutcome,
  RequestReceived,
  TokenAnswer,
  TokenRequestMessage,
  WalletErrorCode,
  WalletErrorMessage,
  WalletProgress,
  WalletReady,
  WalletWait,
} from "./messages.js";
export {
  GRANT_CHANNEL,
  grantError,
  grantFragment,
  grantMessage,
  grantTaken,
  LEGACY_NOT_PROVEN_CODES,
  proofOutcome,
  randomId,
  readGrantFragment,
  readMessage,
  requestReceived,
  tokenAnswer,
  tokenRequest,
  WALLET_ERROR_CODES,
  WALLET_WAITS,
  walletError,
  walletProgress,
  walletReady,
} from "./messages.js";
export type { ProveOptions, ProveProgress, ProveResult } from "./prove.js";
export { prove } from "./prove.js";
export type { Lang } from "./strings.js";
export { describeError, errorCode, pickLang, STRINGS } from "./strings.js";
