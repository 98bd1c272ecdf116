import { jwtVerify, SignJWT } from "jose";
import type { GateInterval } from "./age-requirement.js";
import { GateError } from "./errors.js";
import type { GateLogger } from "./logger.js";

/*
 * The age session: after a token is accepted, the site remembers "over N" for a short while in a cookie.
 * The cookie is an HS256 JWT whose payload is exactly { age_over, exp }, or { age_over, age_below, exp } for a band:
 * the age interval proved and an expiry, nothing that could identify the person, the token or the issuer. A band's
 * session ends no later than the key of the token that proved it, so no session proves a band after its holder
 * has left it (band keys die before their holders' birthdays). It is HttpOnly, Secure, SameSite=Lax and
 * Path=/; with the default name the "__Host-" prefix makes browsers refuse it from any other host or path.
 */

/** Default lifetime of an age session: 15 minutes (Arcom asks for a check at each visit). */
export const DEFAULT_SESSION_SECONDS = 15 * 60;
/** Longest age session the gate accepts as an option: one day. */
export const MAX_SESSION_SECONDS = 24 * 60 * 60;
/** With `maxAgeSeconds: 0` the cookie dies with the browser session, and its signed expiry is this far off. */
export const BROWSER_SESSION_LIMIT_SECONDS = 60 * 60;
/** Default cookie name over HTTPS. */
export const DEFAULT_COOKIE_NAME = "__Host-blindgate-age";
/** Default cookie name when `secure: false` (http://localhost only: browsers refuse "__Host-" without Secure). */
export const DEFAULT_INSECURE_COOKIE_NAME = "blindgate-age";

/** Shortest HMAC secret accepted, in bytes. */
export const MIN_SECRET_BYTES = 32;
/**
 * A secret whose estimated entropy (its length times the Shannon entropy of its own byte frequencies) is below
 * this many bits gets a warning: `"k".repeat(32)` or a repeated word is long enough but guessable.
 */
export const MIN_SECRET_ENTROPY_BITS = 128;
/** Clock difference tolerated between the servers of one site when a cookie's expiry is read, in seconds. */
export const SESSION_CLOCK_SKEW_SECONDS = 60;
const MAX_COOKIE_HEADER = 16 * 1024;
const MAX_SESSION_JWT = 1024;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;

/** How the session cookie is signed and set. */
export interface SessionOptions {
  /** HMAC secret (at least 32 bytes; a string counts its UTF-8 bytes) or an HMAC-SHA-256 CryptoKey. */
  secret: string | Uint8Array | CryptoKey;
  /** Session length in seconds (default 900; 0 = until the browser closes, at most one hour; max 86400). */
  maxAgeSeconds?: number;
  /** Cookie name (default "__Host-blindgate-age", or "blindgate-age" when `secure` is false). */
  cookieName?: string;
  /** Set false only for http://localhost development: drops the Secure attribute. Default true. */
  secure?: boolean;
}

/** A session cookie codec: issues and reads the signed age cookie. */
export interface SessionCodec {
  readonly cookieName: string;
  /**
   * The Set-Cookie value of a new session for an age (a threshold) or an interval, signed at `nowMs`; with
   * `endsBeforeMs`, the session ends then at the latest (a band's key expiry).
   */
  issue(proved: number | GateInterval, nowMs: number, endsBeforeMs?: number): Promise<string>;
  /** The interval of a valid, unexpired session cookie in a Cookie header, or undefined. Never throws. */
  read(cookieHeader: string | null, nowMs: number): Promise<GateInterval | undefined>;
  /** A Set-Cookie value that deletes the session. */
  clear(): string;
}

/**
 * Build the session codec of a gate. Throws GateError("ERR_CONFIG") on a short secret, a bad length or a bad name;
 * warns through `hooks.logger` on a secret of low entropy (the secret itself is never logged). A secret given as
 * bytes or a string is imported once as a non-extractable HMAC CryptoKey, not at every cookie.
 *
 * @example
 * ```ts
 * const session = createSessionCodec({ secret: process.env.AGE_SESSION_SECRET ?? "" });
 * response.headers.append("Set-Cookie", await session.issue(18, Date.now()));
 * const proved = await session.read(request.headers.get("Cookie"), Date.now()); // { from: 18 }
 * ```
 */
export function createSessionCodec(
  options: SessionOptions,
  hooks: { logger?: GateLogger } = {},
): SessionCodec {
  const key = sessionKey(options.secret, hooks.logger);
  const secure = options.secure ?? true;
  const maxAge = options.maxAgeSeconds ?? DEFAULT_SESSION_SECONDS;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0 || maxAge > MAX_SESSION_SECONDS) {
    throw new GateError(
      "ERR_CONFIG",
      `session.maxAgeSeconds must be an integer in 0..${MAX_SESSION_SECONDS}`,
    );
  }
  const cookieName = options.cookieName ?? (secure ? DEFAULT_COOKIE_NAME : DEFAULT_INSECURE_COOKIE_NAME);
  if (!COOKIE_NAME.test(cookieName))
    throw new GateError("ERR_CONFIG", "session.cookieName is not a cookie name");
  if (!secure && cookieName.startsWith("__Host-")) {
    throw new GateError("ERR_CONFIG", 'session.cookieName: "__Host-" cookies need secure: true');
  }
  const attributes = `Path=/; HttpOnly;${secure ? " Secure;" : ""} SameSite=Lax`;
  const lifetime = maxAge === 0 ? BROWSER_SESSION_LIMIT_SECONDS : maxAge;

  return {
    cookieName,
    async issue(proved, nowMs, endsBeforeMs) {
      const interval = typeof proved === "number" ? { from: proved } : proved;
      const nowSeconds = Math.floor(nowMs / 1000);
      let exp = nowSeconds + lifetime;
      if (endsBeforeMs !== undefined) exp = Math.min(exp, Math.floor(endsBeforeMs / 1000));
      const claims =
        interval.below === undefined
          ? { age_over: interval.from }
          : { age_over: interval.from, age_below: interval.below };
      const jwt = await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256" })
        .setExpirationTime(exp)
        .sign(await key);
      const cookieMaxAge =
        maxAge === 0 && exp === nowSeconds + lifetime ? undefined : Math.max(0, exp - nowSeconds);
      return `${cookieName}=${jwt}; ${attributes}${cookieMaxAge === undefined ? "" : `; Max-Age=${cookieMaxAge}`}`;
    },
    async read(cookieHeader, nowMs) {
      const jwt = findCookie(cookieHeader, cookieName);
      if (jwt === undefined || jwt.length > MAX_SESSION_JWT) return undefined;
      try {
        const { payload } = await jwtVerify(jwt, await key, {
          algorithms: ["HS256"],
          currentDate: new Date(nowMs),
          requiredClaims: ["exp"],
        });
        const names = Object.keys(payload).sort().join(",");
        if (names !== "age_over,exp" && names !== "age_below,age_over,exp") return undefined;
        // A cookie never outlives the configured session: an expiry further off than a fresh session's is not ours
        // to honour (a cookie signed under a longer setting, or forged with a leaked secret, ends here).
        const exp = payload.exp as number;
        if (exp > Math.floor(nowMs / 1000) + lifetime + SESSION_CLOCK_SKEW_SECONDS) return undefined;
        const ageOver = payload.age_over;
        if (typeof ageOver !== "number" || !Number.isInteger(ageOver) || ageOver < 1 || ageOver > 150) {
          return undefined;
        }
        if (payload.age_below === undefined) return { from: ageOver };
        const ageBelow = payload.age_below;
        if (
          typeof ageBelow !== "number" ||
          !Number.isInteger(ageBelow) ||
          ageBelow <= ageOver ||
          ageBelow > 150
        ) {
          return undefined;
        }
        return { from: ageOver, below: ageBelow };
      } catch {
        // Tampered, expired, or signed with another secret: no session. Nothing about the cookie is reported.
        return undefined;
      }
    },
    clear() {
      return `${cookieName}=; ${attributes}; Max-Age=0`;
    },
  };
}

function sessionKey(secret: SessionOptions["secret"], logger: GateLogger | undefined): Promise<CryptoKey> {
  if (typeof secret === "string" || secret instanceof Uint8Array) {
    const bytes = typeof secret === "string" ? new TextEncoder().encode(secret) : secret.slice();
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new GateError("ERR_CONFIG", `session.secret must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    const bits = estimatedEntropyBits(bytes);
    if (bits < MIN_SECRET_ENTROPY_BITS) {
      logger?.warn(
        `blindgate: session.secret looks guessable (about ${Math.floor(bits)} bits of entropy, want ${MIN_SECRET_ENTROPY_BITS}); generate one with \`openssl rand -base64 48\``,
        { code: "WEAK_SESSION_SECRET" },
      );
    }
    const key = crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    bytes.fill(0);
    return key;
  }
  const algorithm = secret.algorithm as { name?: string; hash?: { name?: string } };
  if (secret.type !== "secret" || algorithm.name !== "HMAC" || algorithm.hash?.name !== "SHA-256") {
    throw new GateError("ERR_CONFIG", "session.secret must be an HMAC SHA-256 CryptoKey");
  }
  return Promise.resolve(secret);
}

/**
 * A rough entropy estimate of a secret: its length times the Shannon entropy of its byte frequencies. It catches
 * repeated characters and short repeated words; it cannot tell a random-looking passphrase from a random one.
 *
 * @example
 * ```ts
 * estimatedEntropyBits(new TextEncoder().encode("k".repeat(32))); // 0
 * ```
 */
export function estimatedEntropyBits(bytes: Uint8Array): number {
  const counts = new Map<number, number>();
  for (const b of bytes) counts.set(b, (counts.get(b) ?? 0) + 1);
  let perByte = 0;
  for (const n of counts.values()) {
    const p = n / bytes.length;
    perByte -= p * Math.log2(p);
  }
  return perByte * bytes.length;
}

/** The value of cookie `name` in a Cookie header (first occurrence), or undefined. */
function findCookie(header: string | null, name: string): string | undefined {
  if (header === null || header.length > MAX_COOKIE_HEADER) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
  }
  return undefined;
}
