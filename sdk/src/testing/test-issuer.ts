import {
  type AgeInterval,
  buildDirectory,
  type CheckAnswer,
  checkRequestSchema,
  compareIntervals,
  contains,
  createTokenVerifier,
  type DirectoryTokenKey,
  formatInterval,
  fromBase64Url,
  GATEWAY_PATHS,
  type GatewayErrorCode,
  gatewayErrorAnswer,
  intervalKey,
  isAgeInterval,
  type KeyLogEntry,
  keyLogHash,
  Token,
  TokenChallenge,
  type TokenVerifier,
  toBase64Url,
  toHex,
  tokenKeyId,
  toPssSpki,
  VerificationError,
} from "../protocol/internal.js";

/*
 * A test issuer for a site's own tests: keys made in memory, tokens minted directly (no wallet, no provider, no
 * gateway), and a fetch that answers the gate's three calls — the directory, the key log and /v1/check — with the
 * contract's schemas and codes (sdk/src/protocol/gateway-api.ts), single use included. It lives at a host under
 * `.invalid` (RFC 6761: a name that never resolves), which a gate refuses unless it is created for tests
 * (`allowTestIssuers: true`, which `gateOptions()` sets): a test issuer cannot slip into production, and its
 * tokens are unknown to every real gateway.
 */

/** Host of every test issuer: `.invalid` never resolves (RFC 6761 §6.4). */
export const TEST_ISSUER_HOST = "blindgate-test-issuer.invalid";

/** Age intervals a test issuer has keys for, unless told otherwise: the gateway's default thresholds and bands. */
export const DEFAULT_TEST_AGES: readonly TestAge[] = [
  13,
  15,
  16,
  18,
  21,
  { from: 13, below: 16 },
  { from: 16, below: 18 },
  { from: 13, below: 18 },
];

/** An age a test key proves: a threshold, or a band `{ from, below }` (`below` exclusive). */
export type TestAge = number | AgeInterval;

/** Options of {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /** Ages to make keys for: thresholds and bands (default {@link DEFAULT_TEST_AGES}). */
  ages?: readonly TestAge[];
  /** Clock in milliseconds, shared with the gate under test (default Date.now). */
  now?: () => number;
  /** The site key the test gateway expects (default "test-site-key"). */
  siteKey?: string;
}

/** What a gate needs to trust a test issuer: spread it into `createAgeGate`'s options. */
export interface TestGateOptions {
  issuers: { url: string; siteKey: string };
  fetch: typeof fetch;
  allowTestIssuers: true;
  now: () => number;
}

interface TestKey {
  readonly ageOver: number;
  readonly ageBelow: number | undefined;
  readonly privateKey: CryptoKey;
  readonly spki: Uint8Array;
  readonly keyId: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** A test issuer; see {@link createTestIssuer}. */
export interface TestIssuer {
  /** Its base URL, under {@link TEST_ISSUER_HOST}. */
  readonly url: string;
  /** Its issuer name (the challenges' issuer_name). */
  readonly issuerName: string;
  /** The site key its check route accepts. */
  readonly siteKey: string;
  /** The ages it has keys for. */
  readonly ages: readonly AgeInterval[];
  /** Answers the gate's calls to this issuer; anything else is a network failure, as for an unknown host. */
  readonly fetch: typeof fetch;
  /** Tokens its check route accepted, in order (base64url), for assertions. */
  readonly checked: readonly string[];
  /** `createAgeGate` options that trust this issuer, and only in a gate made for tests. */
  gateOptions(): TestGateOptions;
  /** A fresh token proving `age` (a threshold or a band it has a key for), for its cross-origin challenge. */
  mint(age: TestAge): Promise<Uint8Array>;
  /** `Authorization: PrivateToken token="..."` with a fresh token proving `age`. */
  authorization(age: TestAge): Promise<string>;
  /** The browser part's POST to a proof endpoint, with a fresh token proving `age`. */
  proofRequest(url: string | URL, age: TestAge): Promise<Request>;
}

/**
 * Make a test issuer: RSA-2048 keys for each age (WebCrypto, so it runs wherever the gate runs), and a fetch that
 * serves them. Refused by every gate not created for tests.
 *
 * @example
 * ```ts
 * import { createAgeGate } from "@blindgate/sdk/site";
 * import { createTestIssuer } from "@blindgate/sdk/testing";
 *
 * const issuer = await createTestIssuer();
 * const gate = createAgeGate({ ...issuer.gateOptions(), minAge: 18, session: { secret: TEST_SECRET } });
 * const handler = gate.protect(() => new Response("adults only"));
 * const authorization = await issuer.authorization(18);
 * const passed = await handler(new Request("https://site.test/", { headers: { Authorization: authorization } }));
 * // passed.status === 200; with issuer.authorization(16) it is 401
 * ```
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const now = options.now ?? Date.now;
  const byKey = new Map<string, AgeInterval>();
  for (const age of options.ages ?? DEFAULT_TEST_AGES) {
    const interval = intervalOf(age);
    if (!isAgeInterval(interval)) {
      throw new RangeError(
        "createTestIssuer: ages are integers in 1..150, or { from, below } with from < below <= 150",
      );
    }
    byKey.set(intervalKey(interval), interval);
  }
  const ages = [...byKey.values()].sort(compareIntervals);
  if (ages.length === 0) throw new RangeError("createTestIssuer: at least one age");
  const siteKey = options.siteKey ?? "test-site-key";
  const url = `https://${TEST_ISSUER_HOST}`;
  const issuerName = TEST_ISSUER_HOST;
  const nowSeconds = Math.floor(now() / 1000);
  // Keys valid from an hour ago for a year: long enough for any test run, whatever the test's clock does.
  const keys = await Promise.all(
    ages.map((age) => makeKey(age, nowSeconds - 3600, nowSeconds + 365 * 86_400)),
  );
  const verifier: TokenVerifier<TestKey> = await createTokenVerifier(
    keys.map((k) => ({ spki: k.spki, meta: k })),
  );
  const log = await keyLog(keys);
  const challenge = TokenChallenge.crossOrigin(issuerName).encode();
  const challengeDigest = new Uint8Array(await crypto.subtle.digest("SHA-256", challenge));
  const spent = new Set<string>();
  const checked: string[] = [];

  const mint = async (age: TestAge): Promise<Uint8Array> => {
    const wanted = intervalOf(age);
    const key = keys.find((k) => k.ageOver === wanted.from && k.ageBelow === wanted.below);
    if (key === undefined) {
      throw new RangeError(
        `createTestIssuer: no key for age ${formatInterval(wanted)} (ages: ${ages.map(formatInterval).join(", ")})`,
      );
    }
    const unsigned = new Token({
      nonce: crypto.getRandomValues(new Uint8Array(32)),
      challengeDigest,
      tokenKeyId: key.keyId,
      authenticator: new Uint8Array(256),
    });
    // What a blind signature unblinds to: RSASSA-PSS (SHA-384, salt 48) over the token's input (RFC 9578 §6.3).
    const signature = await crypto.subtle.sign(
      { name: "RSA-PSS", saltLength: 48 },
      key.privateKey,
      new Uint8Array(unsigned.authenticatorInput()),
    );
    return new Token({ ...unsigned, authenticator: new Uint8Array(signature) }).encode();
  };

  const answerCheck = async (init: RequestInit | undefined): Promise<Response> => {
    const refuse = (code: GatewayErrorCode, message: string) => {
      const { status, body } = gatewayErrorAnswer(code, message);
      return Response.json(body, { status });
    };
    if (new Headers(init?.headers).get("Authorization") !== `Bearer ${siteKey}`) {
      return refuse("ERR_SITE_KEY_INVALID", "unknown site API key");
    }
    let json: unknown;
    try {
      json = JSON.parse(typeof init?.body === "string" ? init.body : "");
    } catch {
      return refuse("ERR_BAD_REQUEST", "the body is not JSON");
    }
    const parsed = checkRequestSchema.safeParse(json);
    if (!parsed.success) return refuse("ERR_BAD_REQUEST", "the body does not match the route's schema");
    let token: Token;
    try {
      token = Token.decode(fromBase64Url(parsed.data.token));
    } catch {
      return refuse("ERR_TOKEN_MALFORMED", "the token is not a type 0x0002 Token");
    }
    let key: TestKey;
    try {
      key = (await verifier.verify(token, { challenge })).meta;
    } catch (error) {
      if (error instanceof VerificationError && error.code === "ERR_UNKNOWN_KEY") {
        return refuse("ERR_TOKEN_UNKNOWN_KEY", "no key whose tokens are accepted now signed the token");
      }
      return refuse("ERR_TOKEN_INVALID", "the signature or the challenge does not verify");
    }
    if (key.notAfter <= Math.floor(now() / 1000))
      return refuse("ERR_TOKEN_UNKNOWN_KEY", "the key has expired");
    // Accepted iff the key's interval lies inside [minAge, ageBelow), the gateway's rule.
    if (key.ageOver < parsed.data.minAge) return refuse("ERR_TOKEN_BELOW_AGE", "below the age asked");
    const asked = { from: parsed.data.minAge, below: parsed.data.ageBelow };
    if (!contains(asked, { from: key.ageOver, below: key.ageBelow })) {
      return refuse("ERR_TOKEN_INTERVAL", "the token's key does not prove an age below ageBelow");
    }
    const id = `${toHex(token.tokenKeyId)}${toHex(token.nonce)}`;
    if (spent.has(id)) return refuse("ERR_TOKEN_SPENT", "this token was used already");
    spent.add(id);
    checked.push(parsed.data.token);
    const answer: CheckAnswer = {
      valid: true,
      ageOver: key.ageOver,
      issuer: issuerName,
      keyExpiresAt: new Date(key.notAfter * 1000).toISOString(),
    };
    if (key.ageBelow !== undefined) answer.ageBelow = key.ageBelow;
    return Response.json(answer);
  };

  const testFetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const target = new URL(input instanceof Request ? input.url : String(input));
    if (target.origin !== url) throw new TypeError(`fetch failed: ${target.host} is not the test issuer`);
    if (target.pathname === GATEWAY_PATHS.directory) {
      const tokenKeys: DirectoryTokenKey[] = keys.map((k) => ({
        tokenType: 2,
        tokenKey: k.spki,
        ageOver: k.ageOver,
        ...(k.ageBelow === undefined ? {} : { ageBelow: k.ageBelow }),
        notBefore: k.notBefore,
        notAfter: k.notAfter,
      }));
      return Response.json(buildDirectory({ issuerRequestUri: `${url}${GATEWAY_PATHS.issue}`, tokenKeys }), {
        headers: {
          "Cache-Control": "max-age=300",
          "Content-Type": "application/private-token-issuer-directory",
        },
      });
    }
    if (target.pathname === GATEWAY_PATHS.keyLog) {
      const from = Number(target.searchParams.get("from") ?? "0");
      const entries = Number.isSafeInteger(from) && from >= 0 ? log.slice(from) : [];
      return Response.json({ entries }, { headers: { "Cache-Control": "max-age=60" } });
    }
    if (target.pathname === GATEWAY_PATHS.check && init?.method === "POST") return answerCheck(init);
    const { status, body } = gatewayErrorAnswer("ERR_NOT_FOUND", "no such route");
    return Response.json(body, { status });
  }) as typeof fetch;

  return {
    url,
    issuerName,
    siteKey,
    ages,
    fetch: testFetch,
    checked,
    gateOptions: () => ({ issuers: { url, siteKey }, fetch: testFetch, allowTestIssuers: true, now }),
    mint,
    authorization: async (age) => `PrivateToken token="${toBase64Url(await mint(age))}"`,
    proofRequest: async (target, age) =>
      new Request(target, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: toBase64Url(await mint(age)) }),
      }),
  };
}

function intervalOf(age: TestAge): AgeInterval {
  return typeof age === "number" ? { from: age } : age;
}

async function makeKey(age: AgeInterval, notBefore: number, notAfter: number): Promise<TestKey> {
  const pair = await crypto.subtle.generateKey(
    { name: "RSA-PSS", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-384" },
    false,
    ["sign", "verify"],
  );
  // RFC 9578 publishes keys as SPKIs with the id-RSASSA-PSS OID; WebCrypto exports rsaEncryption.
  const spki = toPssSpki(new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)));
  return {
    ageOver: age.from,
    ageBelow: age.below,
    privateKey: pair.privateKey,
    spki,
    keyId: await tokenKeyId(spki),
    notBefore,
    notAfter,
  };
}

/** The key log announcing the keys ("created", then "published"), hash-chained as a gateway writes it. */
async function keyLog(keys: readonly TestKey[]): Promise<KeyLogEntry[]> {
  const entries: KeyLogEntry[] = [];
  let prevHash = "";
  for (const key of keys) {
    for (const event of ["created", "published"] as const) {
      const entry = {
        seq: entries.length,
        at: key.notBefore - 60,
        event,
        keyId: toHex(key.keyId),
        threshold: key.ageOver,
        spki: toBase64Url(key.spki),
        notBefore: key.notBefore,
        issueUntil: key.notAfter,
        validUntil: key.notAfter,
        prevHash,
        ...(key.ageBelow === undefined ? {} : { ageBelow: key.ageBelow }),
      };
      const hash = await keyLogHash(entry);
      entries.push({ ...entry, hash });
      prevHash = hash;
    }
  }
  return entries;
}
