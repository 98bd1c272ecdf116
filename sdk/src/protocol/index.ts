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
export { concat, equalBytes, fromBase64Url, fromHex, Reader, toBase64Url, toHex, u16 } from "./bytes.js";
export type {
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
export type { TokenChallengeInit } from "./token-challenge.js";
export { isServerName, REDEMPTION_CONTEXT_LENGTH, TokenChallenge } from "./token-challenge.js";
export type { DecodedVarint } from "./varint.js";
export { decodeVarint, decodeVarintBigInt, encodeVarint, MAX_VARINT, varintLength } from "./varint.js";
