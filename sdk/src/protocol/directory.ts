import * as z from "zod/mini";
import { MAX_AGE, MIN_AGE } from "./age-interval.js";
import { fromBase64Url, toBase64Url } from "./bytes.js";
import { ProtocolError } from "./errors.js";
import { MAX_LIVE_KEYS } from "./key-log.js";

/*
 * RFC 9578 §4, the issuer directory, served as application/private-token-issuer-directory at
 * /.well-known/private-token-issuer-directory:
 *
 *   {
 *     "issuer-request-uri": "https://issuer.example.net/request",   absolute, or relative to the directory
 *     "token-keys": [
 *       { "token-type": 2, "token-key": "MI...AB", "not-before": 1686913811 },   base64url with padding
 *       { "token-type": 2, "token-key": "MI...AQ" }
 *     ]
 *   }
 *
 * Keys earlier in the list are preferred; clients use the first key whose "not-before" (UNIX seconds) has passed.
 * blindgate adds fields per key, which other clients ignore:
 *   "age-over":  integer 1..150, the age threshold a token of this key proves;
 *   "age-below": integer, present on band keys only: a token of this key also proves the holder is younger than
 *                this (the key's interval is [age-over, age-below), see age-interval.ts); a threshold key has none,
 *                so its entry is exactly what it was before bands existed;
 *   "not-after": UNIX seconds after which tokens of this key are refused (the key's epoch has ended).
 * Fields we do not define are tolerated and dropped, as RFC 9578 lets issuers add fields.
 */

/** The well-known path of the issuer directory (RFC 9578 §4). */
export const DIRECTORY_PATH = "/.well-known/private-token-issuer-directory";
/** Media type of the issuer directory. */
export const DIRECTORY_MEDIA_TYPE = "application/private-token-issuer-directory";
/** Media type of a single TokenRequest (RFC 9578 §5.1, §6.1). */
export const TOKEN_REQUEST_MEDIA_TYPE = "application/private-token-request";
/** Media type of a single TokenResponse (RFC 9578 §5.2, §6.2). */
export const TOKEN_RESPONSE_MEDIA_TYPE = "application/private-token-response";

/** Most keys a directory may list (key consistency: the set of live keys is small). */
export const MAX_DIRECTORY_KEYS = 256;
/** Longest directory text {@link parseDirectoryText} reads, in characters. */
export const MAX_DIRECTORY_TEXT_LENGTH = 256 * 1024;

/** One issuer public key of a directory. */
export interface DirectoryTokenKey {
  tokenType: number;
  /** The public key bytes (for type 0x0002, the RSASSA-PSS SPKI). */
  tokenKey: Uint8Array;
  /** UNIX seconds before which clients should not use the key. */
  notBefore?: number;
  /** blindgate extension: UNIX seconds after which tokens of the key are refused. */
  notAfter?: number;
  /** blindgate extension: the age threshold a token of this key proves. Absent on other issuers' keys. */
  ageOver?: number;
  /** blindgate extension, band keys only: a token of this key proves the holder is younger than this. */
  ageBelow?: number;
}

/**
 * blindgate extension: a credit-credential key (Anonymous Credit Tokens, ristretto255). A credential of this key
 * buys tokens of any key whose interval contains the credit key's [ageOver, ageBelow) (for a threshold credit key:
 * any threshold up to `ageOver`), until `notAfter`; the gateway issues credentials of it from `notBefore` until
 * `issueUntil`.
 */
export interface DirectoryCreditKey {
  /** The ACT public key (32 bytes); its SHA-256 (hex) is the key's id. */
  actKey: Uint8Array;
  ageOver: number;
  /** Band credit keys only: the upper end (exclusive) of the key's interval. */
  ageBelow?: number;
  notBefore: number;
  issueUntil: number;
  notAfter: number;
}

/** A parsed issuer directory. */
export interface IssuerDirectory {
  issuerRequestUri: string;
  tokenKeys: DirectoryTokenKey[];
  /** blindgate extension: credit-credential keys (absent on plain RFC 9578 issuers). */
  creditKeys?: DirectoryCreditKey[];
  /**
   * blindgate extension: a coarse, PII-free rate of recent grant issuances (per hour, rounded), for the wallet's
   * first-use delay.
   */
  issuancesPerHour?: number;
}

/** The JSON form of one directory key. */
export interface DirectoryTokenKeyJson {
  "token-type": number;
  "token-key": string;
  "not-before"?: number;
  "not-after"?: number;
  "age-over"?: number;
  "age-below"?: number;
}

/** The JSON form of one credit key. */
export interface DirectoryCreditKeyJson {
  "act-key": string;
  "age-over": number;
  "age-below"?: number;
  "not-before": number;
  "issue-until": number;
  "not-after": number;
}

/** The JSON form of a directory, as served. */
export interface IssuerDirectoryJson {
  "issuer-request-uri": string;
  "token-keys": DirectoryTokenKeyJson[];
  "blindgate-credit-keys"?: DirectoryCreditKeyJson[];
  "blindgate-issuances-per-hour"?: number;
}

const unixSeconds = z.int().check(z.minimum(0));
const ageOver = z.int().check(z.minimum(MIN_AGE), z.maximum(MAX_AGE));
const ageBelow = z.int().check(z.minimum(MIN_AGE + 1), z.maximum(MAX_AGE));

const tokenKeyBytes = z.pipe(
  z.string().check(z.minLength(1), z.maxLength(16 * 1024)),
  z.transform((text: string, ctx) => {
    try {
      return fromBase64Url(text);
    } catch {
      ctx.issues.push({ code: "custom", message: "not base64url", input: text });
      return z.NEVER;
    }
  }),
);

const requestUri = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(2048),
    z.refine(isRequestUri, { message: "not an absolute http(s) URL or a relative URL" }),
  );

const tokenKeySchema = z
  .object({
    "token-type": z.int().check(z.minimum(0), z.maximum(0xffff)),
    "token-key": tokenKeyBytes,
    "not-before": z.optional(unixSeconds),
    "not-after": z.optional(unixSeconds),
    "age-over": z.optional(ageOver),
    "age-below": z.optional(ageBelow),
  })
  .check(
    z.refine(
      (k) =>
        k["not-before"] === undefined || k["not-after"] === undefined || k["not-after"] > k["not-before"],
      { message: "not-after must come after not-before" },
    ),
    z.refine(
      (k) => k["age-below"] === undefined || (k["age-over"] !== undefined && k["age-below"] > k["age-over"]),
      { message: "age-below needs an age-over below it" },
    ),
  );

const creditKeySchema = z
  .object({
    "act-key": tokenKeyBytes.check(z.refine((b: Uint8Array) => b.length === 32, "an ACT key is 32 bytes")),
    "age-over": ageOver,
    "age-below": z.optional(ageBelow),
    "not-before": unixSeconds,
    "issue-until": unixSeconds,
    "not-after": unixSeconds,
  })
  .check(
    z.refine((k) => k["not-before"] <= k["issue-until"] && k["issue-until"] <= k["not-after"], {
      message: "not-before <= issue-until <= not-after",
    }),
    z.refine((k) => k["age-below"] === undefined || k["age-below"] > k["age-over"], {
      message: "age-below must be above age-over",
    }),
  );

const directorySchema = z.object({
  "issuer-request-uri": requestUri,
  "token-keys": z.array(tokenKeySchema).check(z.minLength(1), z.maxLength(MAX_DIRECTORY_KEYS)),
  "blindgate-credit-keys": z.optional(z.array(creditKeySchema).check(z.maxLength(MAX_DIRECTORY_KEYS))),
  "blindgate-issuances-per-hour": z.optional(z.int().check(z.minimum(0), z.maximum(1e9))),
});

/**
 * Parse an issuer directory (already parsed JSON). Strict on every field RFC 9578 and blindgate define (types,
 * integer ranges, base64url keys, the request URI), tolerant of fields it does not know. Throws
 * ProtocolError("ERR_DIRECTORY") naming the offending field, never echoing its value.
 *
 * @example
 * ```ts
 * const res = await fetch(`https://${issuerName}${DIRECTORY_PATH}`);
 * const directory = parseDirectory(await res.json());
 * const key18 = directory.tokenKeys.find((k) => k.ageOver === 18);
 * ```
 */
export function parseDirectory(json: unknown): IssuerDirectory {
  const result = directorySchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "directory" : issue.path.join(".");
    throw new ProtocolError("ERR_DIRECTORY", `issuer directory: ${where}: ${issue?.message ?? "invalid"}`, {
      cause: result.error,
    });
  }
  const d = result.data;
  const directory: IssuerDirectory = {
    issuerRequestUri: d["issuer-request-uri"],
    tokenKeys: d["token-keys"].map((k) => {
      const key: DirectoryTokenKey = { tokenType: k["token-type"], tokenKey: k["token-key"] };
      if (k["not-before"] !== undefined) key.notBefore = k["not-before"];
      if (k["not-after"] !== undefined) key.notAfter = k["not-after"];
      if (k["age-over"] !== undefined) key.ageOver = k["age-over"];
      if (k["age-below"] !== undefined) key.ageBelow = k["age-below"];
      return key;
    }),
  };
  const credit = d["blindgate-credit-keys"];
  if (credit !== undefined) {
    directory.creditKeys = credit.map((k) => {
      const key: DirectoryCreditKey = {
        actKey: k["act-key"],
        ageOver: k["age-over"],
        notBefore: k["not-before"],
        issueUntil: k["issue-until"],
        notAfter: k["not-after"],
      };
      if (k["age-below"] !== undefined) key.ageBelow = k["age-below"];
      return key;
    });
  }
  const rate = d["blindgate-issuances-per-hour"];
  if (rate !== undefined) directory.issuancesPerHour = rate;
  return directory;
}

/**
 * Parse directory JSON text (at most {@link MAX_DIRECTORY_TEXT_LENGTH} characters). Throws
 * ProtocolError("ERR_DIRECTORY") on text that is not JSON or not a directory.
 *
 * @example
 * ```ts
 * const directory = parseDirectoryText(await res.text());
 * ```
 */
export function parseDirectoryText(text: string): IssuerDirectory {
  if (text.length > MAX_DIRECTORY_TEXT_LENGTH)
    throw new ProtocolError("ERR_DIRECTORY", "issuer directory: too long");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ProtocolError("ERR_DIRECTORY", "issuer directory: not JSON", { cause });
  }
  return parseDirectory(json);
}

/**
 * The JSON form of a directory, ready for `JSON.stringify`: keys as padded base64url (RFC 9578 §4), optional fields
 * only when set. Checks the directory by the same rules as {@link parseDirectory}: throws
 * ProtocolError("ERR_DIRECTORY") on anything `parseDirectory` would refuse.
 *
 * @example
 * ```ts
 * const body = JSON.stringify(buildDirectory({ issuerRequestUri: "/token-request", tokenKeys }));
 * ```
 */
export function buildDirectory(directory: IssuerDirectory): IssuerDirectoryJson {
  const json: IssuerDirectoryJson = {
    "issuer-request-uri": directory.issuerRequestUri,
    "token-keys": directory.tokenKeys.map((k) => {
      const key: DirectoryTokenKeyJson = {
        "token-type": k.tokenType,
        "token-key": toBase64Url(k.tokenKey, true),
      };
      if (k.notBefore !== undefined) key["not-before"] = k.notBefore;
      if (k.notAfter !== undefined) key["not-after"] = k.notAfter;
      if (k.ageOver !== undefined) key["age-over"] = k.ageOver;
      if (k.ageBelow !== undefined) key["age-below"] = k.ageBelow;
      return key;
    }),
  };
  if (directory.creditKeys !== undefined) {
    json["blindgate-credit-keys"] = directory.creditKeys.map((k) => ({
      "act-key": toBase64Url(k.actKey, true),
      "age-over": k.ageOver,
      ...(k.ageBelow === undefined ? {} : { "age-below": k.ageBelow }),
      "not-before": k.notBefore,
      "issue-until": k.issueUntil,
      "not-after": k.notAfter,
    }));
  }
  if (directory.issuancesPerHour !== undefined)
    json["blindgate-issuances-per-hour"] = directory.issuancesPerHour;
  parseDirectory(json);
  return json;
}

/** Criteria of {@link selectTokenKey} and {@link usableTokenKeys}. */
export interface TokenKeyQuery {
  /** Token type wanted (default 2). */
  tokenType?: number;
  /**
   * Age threshold wanted; when set, only keys carrying exactly this "age-over" and the query's `ageBelow` match (no
   * `ageBelow`: threshold keys only, never a band key of the same "age-over").
   */
  ageOver?: number;
  /** With `ageOver`: the band's upper end (exclusive); only band keys of exactly [ageOver, ageBelow) match. */
  ageBelow?: number;
  /** Current time in UNIX seconds (default: now). */
  now?: number;
}

/**
 * Keys of the directory usable at `now` for the query, in directory (preference) order: "not-before" passed (or
 * absent) and "not-after" not passed (or absent).
 *
 * @example
 * ```ts
 * const candidates = usableTokenKeys(directory, { ageOver: 18 }); // try each when verifying
 * ```
 */
export function usableTokenKeys(directory: IssuerDirectory, query: TokenKeyQuery = {}): DirectoryTokenKey[] {
  const tokenType = query.tokenType ?? 2;
  const now = query.now ?? Math.floor(Date.now() / 1000);
  return directory.tokenKeys.filter(
    (k) =>
      k.tokenType === tokenType &&
      (query.ageOver === undefined || (k.ageOver === query.ageOver && k.ageBelow === query.ageBelow)) &&
      (k.notBefore === undefined || k.notBefore <= now) &&
      (k.notAfter === undefined || now < k.notAfter),
  );
}

/**
 * The key a client should use (RFC 9578 §4: the first key in the list whose "not-before" has passed), or undefined.
 *
 * @example
 * ```ts
 * const key = selectTokenKey(directory, { ageOver: 18 });
 * ```
 */
export function selectTokenKey(
  directory: IssuerDirectory,
  query: TokenKeyQuery = {},
): DirectoryTokenKey | undefined {
  return usableTokenKeys(directory, query)[0];
}

/** Absolute http(s) URL, or a relative reference; percent-encoded (printable ASCII, no spaces). */
function isRequestUri(text: string): boolean {
  if (!/^[\x21-\x7e]+$/.test(text)) return false;
  let url: URL;
  try {
    url = new URL(text, "https://directory.invalid/");
  } catch {
    return false;
  }
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(text);
  return !absolute || url.protocol === "https:" || url.protocol === "http:";
}

/**
 * Key consistency read off a directory: true when it lists at most `maxLiveKeys` (2: current and next) keys per
 * kind and age interval among those whose tokens are not dead at `nowSeconds` — the same bound {@link checkKeySet}
 * puts on the key log, so a directory cannot hand groups of people keys of their own either. Keys of other token
 * types and keys without an age (other issuers') are not counted. Each band is a group of its own.
 *
 * @example
 * ```ts
 * if (!directoryWithinKeyBounds(parseDirectory(json), Math.floor(Date.now() / 1000))) throw new Error("refused");
 * ```
 */
export function directoryWithinKeyBounds(
  directory: IssuerDirectory,
  nowSeconds: number,
  maxLiveKeys: number = MAX_LIVE_KEYS,
): boolean {
  const counts = new Map<string, number>();
  const count = (group: string): boolean => {
    const n = (counts.get(group) ?? 0) + 1;
    counts.set(group, n);
    return n <= maxLiveKeys;
  };
  for (const k of directory.tokenKeys) {
    if (k.tokenType !== 2 || k.ageOver === undefined) continue;
    if (k.notAfter !== undefined && k.notAfter <= nowSeconds) continue;
    if (!count(`token ${k.ageOver}-${k.ageBelow ?? ""}`)) return false;
  }
  for (const k of directory.creditKeys ?? []) {
    if (k.notAfter <= nowSeconds) continue;
    if (!count(`credit ${k.ageOver}-${k.ageBelow ?? ""}`)) return false;
  }
  return true;
}
