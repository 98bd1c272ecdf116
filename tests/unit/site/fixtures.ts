import {
  constants,
  createHash,
  generateKeyPairSync,
  type KeyObject,
  type RSAPSSKeyPairKeyObjectOptions,
  sign,
} from "node:crypto";
import { createNodeTokenVerifier } from "@blindgate/sdk/node";
import {
  buildDirectory,
  type CheckAnswer,
  checkRequestSchema,
  concat,
  contains,
  type DirectoryTokenKey,
  fromBase64Url,
  GATEWAY_PATHS,
  type GatewayErrorCode,
  gatewayErrorAnswer,
  type KeyLogEntry,
  keyLogHash,
  Token,
  TokenChallenge,
  type TokenVerifierFactory,
  toBase64Url,
  toHex,
} from "@blindgate/sdk/protocol/internal";

/*
 * Test fixtures of the site gate: per-threshold RSA-2048 RSASSA-PSS keys (SPKI with the id-RSASSA-PSS OID, as
 * RFC 9578 publishes them), type 0x0002 tokens whose authenticator is a real RSASSA-PSS-SHA384 signature (what a
 * blind signature unblinds to), and a fake gateway (directory + /v1/check) behind an injectable fetch.
 */

/** A key as a gateway publishes it. */
export interface PublishedKey {
  ageOver: number;
  /** Band keys only: the upper end (exclusive) of the key's interval. */
  ageBelow?: number;
  spki: Uint8Array;
  /** token_key_id, hex. */
  keyId: string;
  notBefore?: number;
  notAfter?: number;
  /** End of its issuance epoch in the key log (default: notAfter). */
  issueUntil?: number;
}

/** A published key with its private half, for minting tokens. */
export interface ThresholdKey extends PublishedKey {
  privateKey: KeyObject;
}

const keyPool: { privateKey: KeyObject; spki: Uint8Array }[] = [];

function rsaPssKey(index: number): { privateKey: KeyObject; spki: Uint8Array } {
  while (keyPool.length <= index) {
    // @types/node declares saltLength as a string; node:crypto wants the number of bytes.
    const options = {
      modulusLength: 2048,
      hashAlgorithm: "sha384",
      mgf1HashAlgorithm: "sha384",
      saltLength: 48,
    };
    const { privateKey, publicKey } = generateKeyPairSync(
      "rsa-pss",
      options as unknown as RSAPSSKeyPairKeyObjectOptions,
    );
    keyPool.push({ privateKey, spki: new Uint8Array(publicKey.export({ type: "spki", format: "der" })) });
  }
  return keyPool[index]!;
}

/** Pool slots 0..9 are for defaultKeys (two sets); extra keys cycle through slots 10..15. */
const EXTRA_FIRST = 10;
const EXTRA_SLOTS = 6;
let nextExtra = 0;

/** A key for a threshold, distinct from every defaultKeys set and from the last five extra keys. */
export function thresholdKey(
  ageOver: number,
  window: { notBefore?: number; notAfter?: number; issueUntil?: number } = {},
  slot = EXTRA_FIRST + (nextExtra++ % EXTRA_SLOTS),
): ThresholdKey {
  const { privateKey, spki } = rsaPssKey(slot);
  const keyId = toHex(createHash("sha256").update(spki).digest());
  return { ageOver, privateKey, spki, keyId, ...window };
}

/** A band key [from, below), distinct like {@link thresholdKey}'s. */
export function bandKey(
  from: number,
  below: number,
  window: { notBefore?: number; notAfter?: number; issueUntil?: number } = {},
): ThresholdKey {
  return { ...thresholdKey(from, window), ageBelow: below };
}

/** A type 0x0002 token of `key` for the cross-origin challenge of `issuerName`. */
export function mintToken(key: ThresholdKey, issuerName: string): Uint8Array {
  const challenge = TokenChallenge.crossOrigin(issuerName).encode();
  const nonce = crypto.getRandomValues(new Uint8Array(32));
  const digest = createHash("sha256").update(challenge).digest();
  const input = concat(new Uint8Array([0, 2]), nonce, digest, Buffer.from(key.keyId, "hex"));
  const authenticator = sign("sha384", input, {
    key: key.privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: 48,
  });
  return concat(input, authenticator);
}

/** The protocol core's verifier on node:crypto (what the gate picks on Node by itself). */
export const nodeVerifier: TokenVerifierFactory = createNodeTokenVerifier;

/** An error answer exactly as the real gateway shapes it (the contract's status for the code). */
function refusal(code: GatewayErrorCode, message: string): Response {
  const { status, body } = gatewayErrorAnswer(code, message);
  return Response.json(body, { status });
}

export type GatewayMode = "up" | "down" | "500" | "hang" | "garbage";

/** A fake blindgate gateway: the directory and /v1/check, in memory. */
export class FakeGateway<K extends PublishedKey = ThresholdKey> {
  readonly baseUrl: string;
  readonly issuerName: string;
  readonly siteKey: string;
  keys: K[];
  mode: GatewayMode = "up";
  directoryMode: GatewayMode = "up";
  cacheControl = "max-age=300";
  directoryFetches = 0;
  keyLogMode: GatewayMode = "up";
  keyLogFetches = 0;
  /** Key ids (hex) the key log leaves out: listed in the directory, announced nowhere. */
  readonly unannounced = new Set<string>();
  /** Break the key log's hash chain (an entry altered after the fact). */
  tamperKeyLog = false;
  /** Keys the log announces but the directory no longer lists (retired keys); the check still accepts them. */
  retired: K[] = [];
  /** More keys in the log only, e.g. a partitioning gateway's 50 keys for one threshold (never in the directory). */
  logOnly: PublishedKey[] = [];
  /** Answer the next this-many key-log requests with 429 (Retry-After: `retryAfter`). */
  throttleKeyLog = 0;
  retryAfter = "0";
  /** The `from` of every key-log request, in order. */
  readonly keyLogFroms: number[] = [];
  /** Answer every check with ERR_SITE_SUSPENDED. */
  suspended = false;
  readonly checks: { token: string; minAge: number; ageBelow?: number | undefined }[] = [];
  readonly spent = new Set<string>();

  constructor(host: string, keys: K[], siteKey = `site-key-${host}`) {
    this.baseUrl = `https://${host}`;
    this.issuerName = host;
    this.keys = keys;
    this.siteKey = siteKey;
  }

  directoryKeys(): DirectoryTokenKey[] {
    return this.keys.map((k) => {
      const key: DirectoryTokenKey = { tokenType: 2, tokenKey: k.spki, ageOver: k.ageOver };
      if (k.ageBelow !== undefined) key.ageBelow = k.ageBelow;
      if (k.notBefore !== undefined) key.notBefore = k.notBefore;
      if (k.notAfter !== undefined) key.notAfter = k.notAfter;
      return key;
    });
  }

  async handle(url: URL, init: RequestInit | undefined): Promise<Response> {
    if (url.pathname === GATEWAY_PATHS.directory) {
      this.directoryFetches++;
      return this.#answer(this.directoryMode, () =>
        Response.json(
          buildDirectory({ issuerRequestUri: "/token-request", tokenKeys: this.directoryKeys() }),
          {
            headers: { "Cache-Control": this.cacheControl },
          },
        ),
      );
    }
    if (url.pathname === GATEWAY_PATHS.keyLog) {
      this.keyLogFetches++;
      const from = Number(url.searchParams.get("from") ?? "0");
      this.keyLogFroms.push(from);
      if (this.throttleKeyLog > 0) {
        this.throttleKeyLog--;
        const { status, body } = gatewayErrorAnswer("ERR_THROTTLED", "too many requests");
        return Response.json(body, { status, headers: { "Retry-After": this.retryAfter } });
      }
      const entries = (await this.keyLog()).slice(from);
      return this.#answer(this.keyLogMode, () =>
        Response.json({ entries }, { headers: { "Cache-Control": "public, max-age=60" } }),
      );
    }
    if (url.pathname === GATEWAY_PATHS.check && init?.method === "POST") {
      return this.#answer(this.mode, () => {
        const headers = new Headers(init.headers);
        if (headers.get("Authorization") !== `Bearer ${this.siteKey}`) {
          return refusal("ERR_SITE_KEY_INVALID", "unknown site API key");
        }
        if (this.suspended) return refusal("ERR_SITE_SUSPENDED", "this site is suspended");
        const parsed = checkRequestSchema.safeParse(JSON.parse(String(init.body)));
        if (!parsed.success) return refusal("ERR_BAD_REQUEST", "expected { token, minAge, challenge? }");
        this.checks.push(parsed.data);
        let token: Token;
        try {
          token = Token.decode(fromBase64Url(parsed.data.token));
        } catch {
          return refusal("ERR_TOKEN_MALFORMED", "token is not a type 0x0002 Token");
        }
        const key = [...this.keys, ...this.retired].find((k) => k.keyId === toHex(token.tokenKeyId));
        if (key === undefined)
          return refusal("ERR_TOKEN_UNKNOWN_KEY", "no key accepted now signed this token");
        // Accepted iff the key's interval lies inside [minAge, ageBelow), as the gateway's check decides.
        if (key.ageOver < parsed.data.minAge) return refusal("ERR_TOKEN_BELOW_AGE", "below the age asked");
        const asked = { from: parsed.data.minAge, below: parsed.data.ageBelow };
        if (!contains(asked, { from: key.ageOver, below: key.ageBelow })) {
          return refusal("ERR_TOKEN_INTERVAL", "the token's key does not prove an age below ageBelow");
        }
        const id = toHex(token.nonce);
        if (this.spent.has(id)) return refusal("ERR_TOKEN_SPENT", "this token was used already");
        this.spent.add(id);
        const answer: CheckAnswer = {
          valid: true,
          ageOver: key.ageOver,
          issuer: this.issuerName,
          keyExpiresAt: new Date((key.notAfter ?? 2_000_000_000) * 1000).toISOString(),
        };
        if (key.ageBelow !== undefined) answer.ageBelow = key.ageBelow;
        return Response.json(answer);
      });
    }
    return new Response("not found", { status: 404 });
  }

  /** The key log of the published keys: "created" and "published" for each, hash-chained as the gateway does. */
  async keyLog(): Promise<KeyLogEntry[]> {
    const entries: KeyLogEntry[] = [];
    let prevHash = "";
    const logged = [...this.retired, ...this.keys, ...this.logOnly];
    for (const key of logged.filter((k) => !this.unannounced.has(k.keyId))) {
      const retired = this.retired.includes(key as K);
      for (const event of retired
        ? (["created", "published", "retired"] as const)
        : (["created", "published"] as const)) {
        const entry = {
          seq: entries.length,
          at: (key.notBefore ?? 1_700_000_000) - 60,
          event,
          keyId: key.keyId,
          threshold: key.ageOver,
          spki: toBase64Url(key.spki),
          notBefore: key.notBefore ?? 1_700_000_000,
          issueUntil: key.issueUntil ?? key.notAfter ?? 2_000_000_000,
          validUntil: key.notAfter ?? 2_000_000_000,
          prevHash,
          ...(key.ageBelow === undefined ? {} : { ageBelow: key.ageBelow }),
        };
        const hash = await keyLogHash(entry);
        entries.push({ ...entry, hash });
        prevHash = hash;
      }
    }
    if (this.tamperKeyLog && entries[0] !== undefined)
      entries[0] = { ...entries[0], threshold: entries[0].threshold + 1 };
    return entries;
  }

  async #answer(mode: GatewayMode, ok: () => Response): Promise<Response> {
    switch (mode) {
      case "up":
        return ok();
      case "down":
        throw new TypeError("fetch failed: connection refused");
      case "500":
        return refusal("ERR_INTERNAL", "internal error");
      case "garbage":
        return new Response("<html>proxy error</html>", { status: 200 });
      case "hang":
        return new Promise<Response>(() => undefined);
    }
  }
}

/** A fetch that routes to fake gateways by origin, honouring the abort signal (for timeouts). */
export function fetchFor(...gateways: FakeGateway<PublishedKey>[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const gateway = gateways.find((g) => g.baseUrl === url.origin);
    if (gateway === undefined) throw new TypeError("fetch failed: no such host");
    const signal = init?.signal;
    const answer = gateway.handle(url, init);
    if (signal === undefined || signal === null) return answer;
    return Promise.race([
      answer,
      new Promise<Response>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      }),
    ]);
  }) as typeof fetch;
}

/** A manual clock in milliseconds. */
export class Clock {
  ms: number;
  constructor(seconds = 1_800_000_000) {
    this.ms = seconds * 1000;
  }
  now = (): number => this.ms;
  get seconds(): number {
    return Math.floor(this.ms / 1000);
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export const SECRET = "a-test-session-secret-of-32-bytes-or-more!";

/** The five default thresholds, current keys valid around the clock; `set` 0 or 1 gives disjoint keys. */
export function defaultKeys(clock: Clock, set: 0 | 1 = 0): ThresholdKey[] {
  return [13, 15, 16, 18, 21].map((age, i) =>
    thresholdKey(age, { notBefore: clock.seconds - 3600, notAfter: clock.seconds + 7 * 86400 }, set * 5 + i),
  );
}

/** A logger that keeps what it is told, for assertions. */
export class CapturingLogger {
  readonly lines: { level: "warn" | "error"; message: string; details?: Record<string, unknown> }[] = [];
  warn = (message: string, details?: Record<string, unknown>): void => {
    this.lines.push(details === undefined ? { level: "warn", message } : { level: "warn", message, details });
  };
  error = (message: string, details?: Record<string, unknown>): void => {
    this.lines.push(
      details === undefined ? { level: "error", message } : { level: "error", message, details },
    );
  };
  /** Everything written, as one string (to look for secrets). */
  text(): string {
    return JSON.stringify(this.lines);
  }
}

/** A key-log entry's worth of a key that exists only in a log (no private half): for partitioning logs. */
export function fakeLoggedKey(n: number, ageOver: number, notBefore: number, notAfter: number): PublishedKey {
  return {
    ageOver,
    keyId: n.toString(16).padStart(64, "f"),
    spki: new Uint8Array([n & 255]),
    notBefore,
    notAfter,
  };
}

/** Base64url without padding, for proof bodies. */
export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}
