export type { AgeGateElementOptions } from "./age-gate.js";
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
  WalletReady,
} from "./messages.js";
export {
  grantError,
  grantMessage,
  proofOutcome,
  randomId,
  readMessage,
  requestReceived,
  tokenAnswer,
  tokenRequest,
  WALLET_ERROR_CODES,
  walletError,
  walletReady,
} from "./messages.js";
export type { ProveOptions, ProveResult } from "./prove.js";
export { prove } from "./prove.js";
export type { Lang } from "./strings.js";
export { describeError, pickLang, STRINGS } from "./strings.js";
