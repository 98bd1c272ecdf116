import { fromBase64Url, toBase64Url } from "../bytes.js";
import { ProtocolError } from "../errors.js";
import { TokenChallenge } from "../token-challenge.js";
import { MAX_AUTH_HEADER_LENGTH, parseAuthChallenges } from "./auth-params.js";

/*
 * RFC 9577 §2.1.2, sending token challenges:
 *
 *   WWW-Authenticate:
 *     PrivateToken challenge="abc...", token-key="123...",
 *     PrivateToken challenge="def...", token-key="234..."
 *
 * - "challenge": base64url TokenChallenge, padded (RFC 4648 §3.2), token or quoted-string. Required.
 * - "token-key": base64url public key of the challenge's token type, padded. MAY be omitted when clients get the
 *   key out of band.
 * - "max-age": optional, seconds for which the origin accepts the challenge.
 * Clients MUST ignore parameters they do not know (realm included).
 */

/** The authentication scheme name of Privacy Pass (RFC 9577 §2). */
export const PRIVATE_TOKEN_SCHEME = "PrivateToken";

/** One challenge to put in a `WWW-Authenticate` header. */
export interface WwwAuthenticateEntry {
  /** The TokenChallenge, as an object or as its encoded bytes. */
  challenge: TokenChallenge | Uint8Array;
  /** The issuer public key for the challenge's token type (for type 0x0002: the RSASSA-PSS SPKI). */
  tokenKey: Uint8Array;
  /** Seconds for which the origin accepts the challenge. */
  maxAge?: number;
}

/** One `PrivateToken` challenge read from a `WWW-Authenticate` header. */
export interface ParsedChallenge {
  challenge: TokenChallenge;
  /** The challenge bytes exactly as received: hash these for challenge_digest. */
  challengeBytes: Uint8Array;
  tokenKey: Uint8Array;
  maxAge?: number;
}

/** Options of {@link parseWwwAuthenticate}. */
export interface ParseWwwAuthenticateOptions {
  /** Longest header value accepted, in characters (default 32 KiB). */
  maxLength?: number;
}

const MAX_AGE = /^[0-9]{1,10}$/;

/**
 * Build a `WWW-Authenticate` value with one `PrivateToken` challenge per entry, in the RFC's layout: quoted, padded
 * base64url values, `", "` between parameters and between challenges. Throws ProtocolError("ERR_ENCODE_VALUE") on
 * an empty list, an empty key or a max-age that is not a non-negative integer, and DecodeError when challenge bytes
 * are not a TokenChallenge.
 *
 * @example
 * ```ts
 * const value = formatWwwAuthenticate([{ challenge: TokenChallenge.crossOrigin("issuer.example"), tokenKey: spki }]);
 * response.headers.set("WWW-Authenticate", value);
 * ```
 */
export function formatWwwAuthenticate(entries: readonly WwwAuthenticateEntry[]): string {
  if (entries.length === 0) throw new ProtocolError("ERR_ENCODE_VALUE", "WWW-Authenticate: no challenge");
  return entries
    .map((entry) => {
      const bytes =
        entry.challenge instanceof TokenChallenge
          ? entry.challenge.encode()
          : TokenChallenge.decode(entry.challenge).encode();
      if (entry.tokenKey.length === 0)
        throw new ProtocolError("ERR_ENCODE_VALUE", "WWW-Authenticate: empty key");
      let out = `${PRIVATE_TOKEN_SCHEME} challenge="${toBase64Url(bytes, true)}", token-key="${toBase64Url(entry.tokenKey, true)}"`;
      if (entry.maxAge !== undefined) {
        if (!Number.isSafeInteger(entry.maxAge) || entry.maxAge < 0) {
          throw new ProtocolError(
            "ERR_ENCODE_VALUE",
            "WWW-Authenticate: max-age must be a non-negative integer",
          );
        }
        out += `, max-age="${entry.maxAge}"`;
      }
      return out;
    })
    .join(", ");
}

/**
 * Read every `PrivateToken` challenge of a `WWW-Authenticate` value, in order. Other schemes before, between or
 * after are skipped (but must be well-formed); scheme and parameter names are case-insensitive; values may be quoted
 * or not, padded or not; unknown parameters are ignored. A `PrivateToken` challenge without "token-key" is skipped:
 * RFC 9577 allows out-of-band keys, but blindgate pins the age threshold by the key, so it cannot answer one.
 * Throws ProtocolError("ERR_HEADER_SYNTAX") on malformed syntax, a missing or undecodable "challenge", a bad key
 * encoding, a bad "max-age", or a value longer than `maxLength`; the cause carries the underlying error.
 * Challenges of token types the caller does not support are returned: filter on `challenge.tokenType`.
 *
 * @example
 * ```ts
 * const challenges = parseWwwAuthenticate(response.headers.get("WWW-Authenticate") ?? "");
 * const usable = challenges.filter((c) => c.challenge.tokenType === 2);
 * ```
 */
export function parseWwwAuthenticate(
  value: string,
  options: ParseWwwAuthenticateOptions = {},
): ParsedChallenge[] {
  const out: ParsedChallenge[] = [];
  for (const c of parseAuthChallenges(value, options.maxLength ?? MAX_AUTH_HEADER_LENGTH)) {
    if (c.scheme.toLowerCase() !== PRIVATE_TOKEN_SCHEME.toLowerCase()) continue;
    if (c.token68 !== undefined) throw syntax("PrivateToken challenge in token68 form");
    const challengeParam = c.params.get("challenge");
    if (challengeParam === undefined) throw syntax('PrivateToken challenge without "challenge"');
    const keyParam = c.params.get("token-key");
    if (keyParam === undefined) continue;

    let challengeBytes: Uint8Array;
    let challenge: TokenChallenge;
    try {
      challengeBytes = fromBase64Url(challengeParam);
      challenge = TokenChallenge.decode(challengeBytes);
    } catch (cause) {
      throw syntax('PrivateToken "challenge" is not a base64url TokenChallenge', cause);
    }
    let tokenKey: Uint8Array;
    try {
      tokenKey = fromBase64Url(keyParam);
    } catch (cause) {
      throw syntax('PrivateToken "token-key" is not base64url', cause);
    }
    if (tokenKey.length === 0) throw syntax('PrivateToken "token-key" is empty');

    const parsed: ParsedChallenge = { challenge, challengeBytes, tokenKey };
    const maxAge = c.params.get("max-age");
    if (maxAge !== undefined) {
      if (!MAX_AGE.test(maxAge)) throw syntax('PrivateToken "max-age" is not a number of seconds');
      parsed.maxAge = Number(maxAge);
    }
    out.push(parsed);
  }
  return out;
}

function syntax(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError("ERR_HEADER_SYNTAX", message, cause === undefined ? undefined : { cause });
}
