// "@blindgate/sdk/protocol/internal": every name of the protocol core, for the gateway, the wallet, the auditor and
// the tests. Not a public API: it may change in any release. What a user of the SDK calls is in index.ts
// ("@blindgate/sdk/protocol") and re-exported here whole; a name only the gateway, the wallet or the tests call
// goes here, a name a user calls goes in index.ts.

// Anonymous Credit Tokens (draft-schlesinger-cfrg-act, ACT_ristretto255_SHAKE128)
export type {
  ActErrorCode,
  ActParams,
  ActPrivateKey,
  ActPublicKey,
  CreditCredential,
  IssuanceRequest,
  IssuanceResponse,
  PreIssuanceState,
  PreRefundState,
  Refund,
  ScalarSource,
  SeenNullifiers,
  SigmaProof,
  SpendProof,
} from "./act/index.js";
export {
  ACT_PRIVATE_KEY_LENGTH,
  ACT_PUBLIC_KEY_LENGTH,
  ActError,
  acceptSpend,
  actKeyFromSeed,
  actParams,
  CREDIT_CREDENTIAL_LENGTH,
  createIssuanceRequest,
  creditToScalar,
  decodeActPrivateKey,
  decodeActPublicKey,
  decodeCreditCredential,
  decodeIssuanceRequest,
  decodeIssuanceResponse,
  decodePreIssuanceState,
  decodePreRefundState,
  decodeRefund,
  decodeSpendProof,
  encodeActPrivateKey,
  encodeActPublicKey,
  encodeCreditCredential,
  encodeIssuanceRequest,
  encodeIssuanceResponse,
  encodePreIssuanceState,
  encodePreRefundState,
  encodeRefund,
  encodeSpendProof,
  finalizeIssuance,
  finalizeRefund,
  generateActKey,
  issueCredential,
  issueRefund,
  MAX_CREDIT_BITS,
  PRE_ISSUANCE_STATE_LENGTH,
  PRE_REFUND_STATE_LENGTH,
  proveSpend,
  scalarToCredit,
  seededScalars,
  verifySpend,
  webCryptoScalars,
} from "./act/index.js";
export {
  DEFAULT_MAX_BATCH_ITEMS,
  TOKEN_REQUEST_LENGTH,
  TOKEN_RESPONSE_LENGTH,
} from "./batch.js";
export {
  bitLength,
  gcd,
  i2osp,
  modInverse,
  modInverseAll,
  modPow,
  os2ip,
  randomIntegerBelow,
} from "./blind-rsa/bigint.js";
export type {
  BlindOptions,
  BlindOutput,
  BlindRsaVariant,
  RsaPublicKey,
} from "./blind-rsa/blind-rsa.js";
export {
  BLIND_RSA_VARIANTS,
  BlindRsa,
  MSG_PREFIX_LENGTH,
  RSABSSA_SHA384_PSS_DETERMINISTIC,
  RSABSSA_SHA384_PSS_RANDOMIZED,
  RSABSSA_SHA384_PSSZERO_DETERMINISTIC,
  RSABSSA_SHA384_PSSZERO_RANDOMIZED,
} from "./blind-rsa/blind-rsa.js";
export type {
  PssHash,
  PssParams,
} from "./blind-rsa/emsa-pss.js";
export {
  digest,
  emsaPssEncode,
  emsaPssVerify,
  HASH_LENGTH,
  mgf1,
} from "./blind-rsa/emsa-pss.js";
export {
  Reader,
  u16,
} from "./bytes.js";
export {
  CREDIT_BITS,
  creditParams,
} from "./credits.js";
export {
  MAX_DIRECTORY_KEYS,
  MAX_DIRECTORY_TEXT_LENGTH,
} from "./directory.js";
export {
  checkAnswerSchema,
  checkRequestSchema,
  credentialAnswerSchema,
  credentialRequestSchema,
  gatewayErrorAnswer,
  gatewayErrorBody,
  KEY_LOG_PAGE_SIZE,
  keyLogEntrySchema,
  keyLogPageSchema,
  MAX_CHECK_BODY,
  MAX_CREDIT_BODY,
  providersAnswerSchema,
  REPORT_BUCKET,
  refillAnswerSchema,
  refillRequestSchema,
  reportAnswerSchema,
  reportBodySchema,
  reportEpochSchema,
} from "./gateway-api.js";
export type { AuthChallenge } from "./headers/auth-params.js";
export {
  MAX_AUTH_HEADER_LENGTH,
  parseAuthChallenges,
  quoteString,
} from "./headers/auth-params.js";
export { MAX_AUTHORIZATION_LENGTH } from "./headers/authorization.js";
export * from "./index.js";

export {
  BOUNDED_KEY_KINDS,
  keyLogCanonical,
  keyLogHash,
  reportCanonical,
} from "./key-log.js";
export type {
  ParsedRsaSpki,
  RsaSpkiKind,
} from "./spki.js";
export {
  encodePssSpki,
  encodeRsaEncryptionSpki,
  MAX_RSA_MODULUS_BITS,
  MIN_RSA_MODULUS_BITS,
  parseRsaSpki,
  toRsaEncryptionSpki,
} from "./spki.js";

export {
  TOKEN_AUTHENTICATOR_INPUT_LENGTH,
  TOKEN_FIELD_LENGTH,
} from "./token.js";

export {
  isServerName,
  REDEMPTION_CONTEXT_LENGTH,
} from "./token-challenge.js";
export { TOKEN_KEY_ID_LENGTH } from "./token-key.js";
export { BLIND_RSA_TOKEN_REQUEST_LENGTH } from "./token-request.js";

export type { DecodedVarint } from "./varint.js";
export {
  decodeVarint,
  decodeVarintBigInt,
  encodeVarint,
  MAX_VARINT,
  varintLength,
} from "./varint.js";
export type { VerifierBackend } from "./verify.js";
export {
  createVerifierOn,
  TOKEN_SALT_LENGTH,
  webCryptoBackend,
} from "./verify.js";
