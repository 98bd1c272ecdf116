export type {
  CreditCredential,
  PreIssuanceState,
  PreRefundState,
} from "./credential.js";
export {
  CREDIT_CREDENTIAL_LENGTH,
  creditToScalar,
  decodeCreditCredential,
  decodePreIssuanceState,
  decodePreRefundState,
  encodeCreditCredential,
  encodePreIssuanceState,
  encodePreRefundState,
  PRE_ISSUANCE_STATE_LENGTH,
  PRE_REFUND_STATE_LENGTH,
  scalarToCredit,
} from "./credential.js";
export type { ActErrorCode } from "./errors.js";
export { ActError } from "./errors.js";
export { createIssuanceRequest, finalizeIssuance, issueCredential } from "./issuance.js";
export type { ActPrivateKey, ActPublicKey } from "./keys.js";
export {
  ACT_PRIVATE_KEY_LENGTH,
  ACT_PUBLIC_KEY_LENGTH,
  actKeyFromSeed,
  decodeActPrivateKey,
  decodeActPublicKey,
  encodeActPrivateKey,
  encodeActPublicKey,
  generateActKey,
} from "./keys.js";
export type { ActParams } from "./params.js";
export { actParams, MAX_CREDIT_BITS } from "./params.js";
export type { ScalarSource } from "./random.js";
export { seededScalars, webCryptoScalars } from "./random.js";
export type { SeenNullifiers } from "./refund.js";
export { acceptSpend, finalizeRefund, issueRefund } from "./refund.js";
export type { SigmaProof } from "./sigma.js";
export { proveSpend, verifySpend } from "./spend.js";
export type { IssuanceRequest, IssuanceResponse, Refund, SpendProof } from "./wire.js";
export {
  decodeIssuanceRequest,
  decodeIssuanceResponse,
  decodeRefund,
  decodeSpendProof,
  encodeIssuanceRequest,
  encodeIssuanceResponse,
  encodeRefund,
  encodeSpendProof,
} from "./wire.js";
