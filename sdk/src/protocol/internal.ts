// "@blindgate/sdk/protocol/internal": every name of the protocol core, for the gateway, the wallet, the auditor and
// the tests. Not a public API: it may change in any release. What a user of the SDK calls is in index.ts
// ("@blindgate/sdk/protocol"); a new export goes here, and in index.ts too when a user calls it.
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
export type { AgeInterval } from "./age-interval.js";
export {
  compareIntervals,
  contains,
  DEFAULT_BANDS,
  DEFAULT_THRESHOLDS,
  formatInterval,
  intervalFromWire,
  intervalKey,
  isAgeInterval,
  isBand,
  keyCoversProof,
  MAX_AGE,
  MIN_AGE,
  parseIntervalKey,
  parseIntervalList,
  sameInterval,
} from "./age-interval.js";
export type { BatchDecodeOptions, BatchRequestItem, BatchResponseItem } from "./batch.js";
export {
  DEFAULT_MAX_BATCH_ITEMS,
  decodeBatchRequest,
  decodeBatchResponse,
  encodeBatchRequest,
  encodeBatchResponse,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  GENERIC_BATCH_RESPONSE_MEDIA_TYPE,
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
export type { BlindOptions, BlindOutput, BlindRsaVariant, RsaPublicKey } from "./blind-rsa/blind-rsa.js";
export {
  BLIND_RSA_VARIANTS,
  BlindRsa,
  MSG_PREFIX_LENGTH,
  RSABSSA_SHA384_PSS_DETERMINISTIC,
  RSABSSA_SHA384_PSS_RANDOMIZED,
  RSABSSA_SHA384_PSSZERO_DETERMINISTIC,
  RSABSSA_SHA384_PSSZERO_RANDOMIZED,
} from "./blind-rsa/blind-rsa.js";
export type { PssHash, PssParams } from "./blind-rsa/emsa-pss.js";
export { digest, emsaPssEncode, emsaPssVerify, HASH_LENGTH, mgf1 } from "./blind-rsa/emsa-pss.js";
export { concat, equalBytes, fromBase64Url, fromHex, Reader, toBase64Url, toHex, u16 } from "./bytes.js";
export {
  beginCredential,
  beginRefill,
  CREDIT_BITS,
  creditBalance,
  creditKeyId,
  creditParams,
  finishCredential,
  finishRefill,
} from "./credits.js";
export type {
  DirectoryCreditKey,
  DirectoryCreditKeyJson,
  DirectoryTokenKey,
  DirectoryTokenKeyJson,
  IssuerDirectory,
  IssuerDirectoryJson,
  TokenKeyQuery,
} from "./directory.js";
export {
  buildDirectory,
  DIRECTORY_MEDIA_TYPE,
  DIRECTORY_PATH,
  directoryWithinKeyBounds,
  MAX_DIRECTORY_KEYS,
  MAX_DIRECTORY_TEXT_LENGTH,
  parseDirectory,
  parseDirectoryText,
  selectTokenKey,
  TOKEN_REQUEST_MEDIA_TYPE,
  TOKEN_RESPONSE_MEDIA_TYPE,
  usableTokenKeys,
} from "./directory.js";
export type { ProtocolErrorCode } from "./errors.js";
export { DecodeError, ProtocolError, VerificationError } from "./errors.js";
export type {
  CheckAnswer,
  CheckRequestBody,
  CredentialAnswer,
  CredentialRequestBody,
  GatewayErrorCode,
  GatewayErrorParty,
  GatewayRouteId,
  KeyLogPage,
  ProvidersAnswer,
  RefillAnswer,
  RefillRequestBody,
  ReportAnswer,
  ReportBody,
} from "./gateway-api.js";
export {
  checkAnswerSchema,
  checkRequestSchema,
  credentialAnswerSchema,
  credentialRequestSchema,
  GATEWAY_ERROR_CODES,
  GATEWAY_ERRORS,
  GATEWAY_PATHS,
  gatewayErrorAnswer,
  gatewayErrorBody,
  gatewayErrorCodeOf,
  isGatewayErrorCode,
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
export { MAX_AUTH_HEADER_LENGTH, parseAuthChallenges, quoteString } from "./headers/auth-params.js";
export type { ParseAuthorizationOptions } from "./headers/authorization.js";
export {
  formatAuthorization,
  MAX_AUTHORIZATION_LENGTH,
  parseAuthorization,
} from "./headers/authorization.js";
export type {
  ParsedChallenge,
  ParseWwwAuthenticateOptions,
  WwwAuthenticateEntry,
} from "./headers/www-authenticate.js";
export {
  formatWwwAuthenticate,
  PRIVATE_TOKEN_SCHEME,
  parseWwwAuthenticate,
} from "./headers/www-authenticate.js";
export type { BeginIssuanceBatchInput, BeginIssuanceInput, BegunToken, PendingToken } from "./issuance.js";
export { beginIssuance, beginIssuanceBatch, finishIssuance, finishIssuanceBatch } from "./issuance.js";
export type {
  KeyEventKind,
  KeyLogEntry,
  KeySetOptions,
  KeySetProblem,
  KeySetVerdict,
  LoggedKeyKind,
} from "./key-log.js";
export {
  BOUNDED_KEY_KINDS,
  checkKeySet,
  DEFAULT_MIN_KEY_EPOCH_SECONDS,
  isKeyAnnounced,
  keyLogCanonical,
  keyLogHash,
  MAX_LIVE_KEYS,
  reportCanonical,
  reportHash,
  verifyKeyLog,
  verifyReportSignature,
} from "./key-log.js";
export type { ParsedRsaSpki, RsaSpkiKind } from "./spki.js";
export {
  encodePssSpki,
  encodeRsaEncryptionSpki,
  MAX_RSA_MODULUS_BITS,
  MIN_RSA_MODULUS_BITS,
  parseRsaSpki,
  toPssSpki,
  toRsaEncryptionSpki,
} from "./spki.js";
export type { TokenInit } from "./token.js";
export {
  BLIND_RSA_TOKEN_LENGTH,
  TOKEN_AUTHENTICATOR_INPUT_LENGTH,
  TOKEN_FIELD_LENGTH,
  Token,
} from "./token.js";
export type { TokenChallengeInit } from "./token-challenge.js";
export { isServerName, REDEMPTION_CONTEXT_LENGTH, TokenChallenge } from "./token-challenge.js";
export { TOKEN_KEY_ID_LENGTH, tokenKeyId, truncatedTokenKeyId } from "./token-key.js";
export {
  BLIND_RSA_NK,
  BLIND_RSA_TOKEN_REQUEST_LENGTH,
  TOKEN_TYPE_BLIND_RSA,
  TokenRequest,
} from "./token-request.js";
export { TokenResponse } from "./token-response.js";
export type { DecodedVarint } from "./varint.js";
export { decodeVarint, decodeVarintBigInt, encodeVarint, MAX_VARINT, varintLength } from "./varint.js";
export type {
  ExpectedChallenge,
  TokenVerifier,
  TokenVerifierFactory,
  TokenVerifierKey,
  TokenVerifierOptions,
  VerifiedToken,
  VerifierBackend,
} from "./verify.js";
export { createTokenVerifier, createVerifierOn, TOKEN_SALT_LENGTH, webCryptoBackend } from "./verify.js";
