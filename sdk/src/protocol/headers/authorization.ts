import { fromBase64Url, toBase64Url } from "../bytes.js";
import { ProtocolError } from "../errors.js";
import { parseAuthChallenges } from "./auth-params.js";
import { PRIVATE_TOKEN_SCHEME } from "./www-authenticate.js";

/*
 * RFC 9577 §2.2.2, sending tokens:
 *
 *   Authorization: PrivateToken token="abc..."
 *
 * - "token": base64url Token (RFC 9577 §2.2), padded, token or quoted-string. Required.
 * Authorization carries one credentials (RFC 9110 §11.6.2): a second scheme in the same value is malformed.
 */

/** Default upper bound on an `Authorization` value's length, in characters. */
export const MAX_AUTHORIZATION_LENGTH = 8 * 1024;

/** Options of {@link parseAuthorization}. */
export interface ParseAuthorizationOptions {
  /** Longest header value accepted, in characters (default 8 KiB). */
  maxLength?: number;
}

/**
 * Build an `Authorization` value carrying a token: `PrivateToken token="<padded base64url>"`.
 *
 * @example
 * ```ts
 * fetch(url, { headers: { Authorization: formatAuthorization(token.encode()) } });
 * ```
 */
export function formatAuthorization(token: Uint8Array): string {
  if (token.length === 0) throw new ProtocolError("ERR_ENCODE_VALUE", "Authorization: empty token");
  return `${PRIVATE_TOKEN_SCHEME} token="${toBase64Url(token, true)}"`;
}

/**
 * The token bytes of an `Authorization: PrivateToken token=...` value; the caller decodes the Token. Scheme and
 * parameter names are case-insensitive, the value may be quoted or not, padded or not, other parameters are
 * ignored. Throws ProtocolError("ERR_HEADER_SYNTAX") on another scheme, several credentials, a missing, empty or
 * non-base64url token, malformed syntax, or a value longer than `maxLength`.
 *
 * @example
 * ```ts
 * const tokenBytes = parseAuthorization(request.headers.get("Authorization") ?? "");
 * ```
 */
export function parseAuthorization(value: string, options: ParseAuthorizationOptions = {}): Uint8Array {
  const credentials = parseAuthChallenges(value, options.maxLength ?? MAX_AUTHORIZATION_LENGTH);
  const [first] = credentials;
  if (first === undefined) throw syntax("Authorization: no credentials");
  if (credentials.length > 1) throw syntax("Authorization: more than one credentials");
  if (first.scheme.toLowerCase() !== PRIVATE_TOKEN_SCHEME.toLowerCase()) {
    throw syntax("Authorization: not the PrivateToken scheme");
  }
  const token = first.params.get("token");
  if (token === undefined) throw syntax('Authorization: PrivateToken without "token"');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(token);
  } catch (cause) {
    throw syntax('Authorization: "token" is not base64url', cause);
  }
  if (bytes.length === 0) throw syntax('Authorization: empty "token"');
  return bytes;
}

function syntax(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError("ERR_HEADER_SYNTAX", message, cause === undefined ? undefined : { cause });
}
