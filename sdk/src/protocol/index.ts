// "@blindgate/sdk/protocol": the wire formats and checks a client, a site or an issuer of blindgate calls (tokens,
// challenges, issuance, directory, headers, verification, key log, age intervals, the gateway's paths and codes).
// The rest of the protocol core (ACT internals, RSA arithmetic, encodings, the contract's schemas) is at
// "@blindgate/sdk/protocol/internal", for the gateway and the tests only.
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
  decodeBatchRequest,
  decodeBatchResponse,
  encodeBatchRequest,
  encodeBatchResponse,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  GENERIC_BATCH_RESPONSE_MEDIA_TYPE,
} from "./batch.js";
export { concat, equalBytes, fromBase64Url, fromHex, toBase64Url, toHex } from "./bytes.js";
export {
  beginCredential,
  beginRefill,
  creditBalance,
  creditKeyId,
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
  GATEWAY_ERROR_CODES,
  GATEWAY_ERRORS,
  GATEWAY_PATHS,
  gatewayErrorCodeOf,
  isGatewayErrorCode,
} from "./gateway-api.js";
export type { ParseAuthorizationOptions } from "./headers/authorization.js";
export { formatAuthorization, parseAuthorization } from "./headers/authorization.js";
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
  checkKeySet,
  DEFAULT_MIN_KEY_EPOCH_SECONDS,
  isKeyAnnounced,
  MAX_LIVE_KEYS,
  reportHash,
  verifyKeyLog,
  verifyReportSignature,
} from "./key-log.js";
export { toPssSpki } from "./spki.js";
export type { TokenInit } from "./token.js";
export { BLIND_RSA_TOKEN_LENGTH, Token } from "./token.js";
export type { TokenChallengeInit } from "./token-challenge.js";
export { TokenChallenge } from "./token-challenge.js";
export { tokenKeyId, truncatedTokenKeyId } from "./token-key.js";
export { BLIND_RSA_NK, TOKEN_TYPE_BLIND_RSA, TokenRequest } from "./token-request.js";
export { TokenResponse } from "./token-response.js";
export type {
  ExpectedChallenge,
  TokenVerifier,
  TokenVerifierFactory,
  TokenVerifierKey,
  TokenVerifierOptions,
  VerifiedToken,
} from "./verify.js";
export { createTokenVerifier } from "./verify.js";
