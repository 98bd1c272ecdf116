import { parseWwwAuthenticate, TokenChallenge, toHex } from "@blindgate/sdk/protocol";
import { type AgeGateOptions, createAgeGate, type GateResult } from "@blindgate/sdk/site";
import { decodeJwt } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import {
  b64,
  CapturingLogger,
  Clock,
  defaultKeys,
  FakeGateway,
  fetchFor,
  mintToken,
  nodeVerifier,
  SECRET,
  thresholdKey,
} from "./fixtures.js";

const SITE = "https://site.example";

let clock: Clock;
let gateway: FakeGateway;
let logger: CapturingLogger;

beforeEach(() => {
  clock = new Clock();
  gateway = new FakeGateway("gateway.example", defaultKeys(clock));
  logger = new CapturingLogger();
});

function gateFor(minAge: number, extra: Partial<AgeGateOptions> = {}, gateways: FakeGateway[] = [gateway]) {
  return createAgeGate({
    issuers: gateways.map((g) => ({ url: g.baseUrl, siteKey: g.siteKey })),
    minAge,
    session: { secret: SECRET },
    fetch: fetchFor(...gateways),
    now: clock.now,
    timeoutMs: 200,
    logger,
    ...extra,
  });
}

function keyOf(age: number, g = gateway) {
  const key = g.keys.find((k) => k.ageOver === age);
  if (key === undefined) throw new Error(`no key for ${age}`);
  return key;
}

function proof(token: Uint8Array | string, init: RequestInit = {}): Request {
  return new Request(`${SITE}/.well-known/blindgate/proof`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: typeof token === "string" ? token : b64(token) }),
    ...init,
  });
}

function cookieOf(response: Response): string {
  const [setCookie] = response.headers.getSetCookie();
  return (setCookie ?? "").split(";")[0] ?? "";
}

async function errorCode(response: Response): Promise<string> {
  const body = (await response.json()) as { error: { code: string } };
  return body.error.code;
}

function refused(result: GateResult): Extract<GateResult, { ok: false }> {
  if (result.ok) throw new Error("expected a refusal");
  return result;
}

describe("the 401 challenge", () => {
  it.each([
    [13, 13],
    [14, 15],
    [17, 18],
    [18, 18],
    [19, 21],
    [21, 21],
  ])(
    "minAge %i pins the key of threshold %i, for the issuer's cross-origin challenge",
    async (minAge, threshold) => {
      const result = refused(await gateFor(minAge).check(new Request(`${SITE}/adult`)));
      expect(result.response.status).toBe(401);
      expect(result.error.code).toBe("ERR_AGE_REQUIRED");
      expect(await errorCode(result.response)).toBe("ERR_AGE_REQUIRED");
      const challenges = parseWwwAuthenticate(result.response.headers.get("WWW-Authenticate") ?? "");
      expect(challenges).toHaveLength(1);
      const [c] = challenges;
      expect(c?.challenge.equals(TokenChallenge.crossOrigin("gateway.example"))).toBe(true);
      expect(toHex(c?.tokenKey ?? new Uint8Array())).toBe(toHex(keyOf(threshold).spki));
      expect(c?.maxAge).toBe(300);
      expect(result.response.headers.get("Cache-Control")).toBe("private, no-store");
    },
  );

  it("pins the current key, not the next one that is published but not yet valid", async () => {
    const current18 = keyOf(18);
    const next18 = thresholdKey(18, {
      notBefore: clock.seconds + 3600,
      notAfter: clock.seconds + 30 * 86400,
    });
    gateway.keys = [next18, ...gateway.keys];
    const result = refused(await gateFor(18).check(new Request(`${SITE}/`)));
    const [c] = parseWwwAuthenticate(result.response.headers.get("WWW-Authenticate") ?? "");
    expect(toHex(c?.tokenKey ?? new Uint8Array())).toBe(toHex(current18.spki));
    expect(toHex(c?.tokenKey ?? new Uint8Array())).not.toBe(toHex(next18.spki));
  });

  it("lists one challenge per trusted issuer", async () => {
    const other = new FakeGateway("other-gateway.example", defaultKeys(clock, 1));
    const result = refused(await gateFor(18, {}, [gateway, other]).check(new Request(`${SITE}/`)));
    const challenges = parseWwwAuthenticate(result.response.headers.get("WWW-Authenticate") ?? "");
    expect(challenges.map((c) => c.challenge.issuerName)).toEqual([
      "gateway.example",
      "other-gateway.example",
    ]);
  });

  it("is a 503 NO_THRESHOLD when no issuer has a threshold that high", async () => {
    const result = refused(await gateFor(22).check(new Request(`${SITE}/`)));
    expect(result.response.status).toBe(503);
    expect(result.error.code).toBe("ERR_NO_THRESHOLD");
  });

  it("is a 503 GATEWAY_UNAVAILABLE when the directory cannot be fetched, and never a pass", async () => {
    for (const mode of ["down", "500", "garbage", "hang"] as const) {
      gateway.directoryMode = mode;
      const result = refused(await gateFor(18).check(new Request(`${SITE}/`)));
      expect(result.response.status).toBe(503);
      expect(result.error.code).toBe("ERR_GATEWAY_UNAVAILABLE");
      expect(await errorCode(result.response)).toBe("ERR_GATEWAY_UNAVAILABLE");
    }
  });
});

describe("the proof endpoint", () => {
  it("accepts a token, spends it at the gateway and sets the age session", async () => {
    const gate = gateFor(18);
    const response = await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example")));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, ageOver: 18 });
    expect(gateway.checks).toEqual([expect.objectContaining({ minAge: 18 })]);
    const cookie = cookieOf(response);
    expect(Object.keys(decodeJwt(cookie.slice(cookie.indexOf("=") + 1))).sort()).toEqual(["age_over", "exp"]);
    const result = await gate.check(new Request(`${SITE}/adult`, { headers: { Cookie: cookie } }));
    expect(result).toEqual({ ok: true, ageOver: 18 });
  });

  it("accepts a higher threshold than asked and records the threshold the key proves", async () => {
    const response = await gateFor(18).handleProof(proof(mintToken(keyOf(21), "gateway.example")));
    expect(await response.json()).toEqual({ ok: true, ageOver: 21 });
  });

  it("refuses a token of a lower threshold without asking the gateway", async () => {
    const response = await gateFor(18).handleProof(proof(mintToken(keyOf(16), "gateway.example")));
    expect(response.status).toBe(403);
    expect(await errorCode(response)).toBe("ERR_THRESHOLD_TOO_LOW");
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(gateway.checks).toHaveLength(0);
  });

  it("refuses a token spent before (single use at the gateway)", async () => {
    const gate = gateFor(18);
    const token = mintToken(keyOf(18), "gateway.example");
    expect((await gate.handleProof(proof(token))).status).toBe(200);
    const again = await gate.handleProof(proof(token));
    expect(again.status).toBe(403);
    expect(await errorCode(again)).toBe("ERR_TOKEN_REJECTED");
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  it("refuses a token whose key has expired", async () => {
    const old = thresholdKey(18, { notBefore: clock.seconds - 86400, notAfter: clock.seconds - 1 });
    gateway.keys.push(old);
    const response = await gateFor(18).handleProof(proof(mintToken(old, "gateway.example")));
    expect(await errorCode(response)).toBe("ERR_KEY_EXPIRED");
  });

  it("refuses a bad signature and a token for another issuer's challenge", async () => {
    const token = mintToken(keyOf(18), "gateway.example");
    token[token.length - 1]! ^= 1;
    const gate = gateFor(18);
    expect(await errorCode(await gate.handleProof(proof(token)))).toBe("ERR_INVALID_TOKEN");
    const elsewhere = mintToken(keyOf(18), "evil.example");
    expect(await errorCode(await gate.handleProof(proof(elsewhere)))).toBe("ERR_INVALID_TOKEN");
    expect(gateway.checks).toHaveLength(0);
  });

  it("refetches the directory once for an unknown key id, rate-limited", async () => {
    const gate = gateFor(18);
    await gate.check(new Request(`${SITE}/`));
    expect(gateway.directoryFetches).toBe(1);
    const rotated = thresholdKey(18, { notBefore: clock.seconds, notAfter: clock.seconds + 86400 });
    const stranger = thresholdKey(18);
    clock.advance(31);
    gateway.keys.push(rotated);
    const response = await gate.handleProof(proof(mintToken(rotated, "gateway.example")));
    expect(response.status).toBe(200);
    expect(gateway.directoryFetches).toBe(2);
    expect(await errorCode(await gate.handleProof(proof(mintToken(stranger, "gateway.example"))))).toBe(
      "ERR_UNKNOWN_KEY",
    );
    expect(await errorCode(await gate.handleProof(proof(mintToken(stranger, "gateway.example"))))).toBe(
      "ERR_UNKNOWN_KEY",
    );
    expect(gateway.directoryFetches).toBe(2);
    clock.advance(31);
    await gate.handleProof(proof(mintToken(stranger, "gateway.example")));
    expect(gateway.directoryFetches).toBe(3);
  });

  it("respects the directory's Cache-Control max-age", async () => {
    gateway.cacheControl = "public, max-age=60";
    const gate = gateFor(18);
    await gate.check(new Request(`${SITE}/`));
    clock.advance(59);
    await gate.check(new Request(`${SITE}/`));
    expect(gateway.directoryFetches).toBe(1);
    clock.advance(2);
    await gate.check(new Request(`${SITE}/`));
    expect(gateway.directoryFetches).toBe(2);
  });

  it("checks the token at the issuer whose directory lists its key, with that issuer's site key", async () => {
    const other = new FakeGateway("other-gateway.example", defaultKeys(clock, 1));
    const gate = gateFor(18, {}, [gateway, other]);
    const response = await gate.handleProof(proof(mintToken(keyOf(18, other), "other-gateway.example")));
    expect(response.status).toBe(200);
    expect(other.checks).toHaveLength(1);
    expect(gateway.checks).toHaveLength(0);
  });

  it.each(["down", "500", "garbage", "hang"] as const)(
    "fails closed with 503 GATEWAY_UNAVAILABLE when the check is %s",
    async (mode) => {
      const gate = gateFor(18);
      await gate.check(new Request(`${SITE}/`)); // directory cached
      gateway.mode = mode;
      const response = await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example")));
      expect(response.status).toBe(503);
      expect(await errorCode(response)).toBe("ERR_GATEWAY_UNAVAILABLE");
      expect(response.headers.getSetCookie()).toEqual([]);
    },
  );

  it("fails closed when the gateway refuses the site key, and says so to the operator (not silently)", async () => {
    const errors: string[] = [];
    const gate = createAgeGate({
      issuers: { url: gateway.baseUrl, siteKey: "wrong-key-s3cr3t" },
      minAge: 18,
      session: { secret: SECRET },
      fetch: fetchFor(gateway),
      now: clock.now,
      logger,
      onError: (error) => errors.push(`${error.code} ${error.gatewayCode}`),
    });
    const response = await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example")));
    expect(response.status).toBe(503);
    expect(await errorCode(response)).toBe("ERR_GATEWAY_UNAVAILABLE");
    expect(errors).toEqual(["ERR_GATEWAY_UNAVAILABLE ERR_SITE_KEY_INVALID"]);
    expect(logger.lines).toEqual([
      {
        level: "error",
        message: expect.stringMatching(/refused this site \(ERR_SITE_KEY_INVALID.*siteKey/),
        details: { code: "ERR_GATEWAY_UNAVAILABLE", gatewayCode: "ERR_SITE_KEY_INVALID" },
      },
    ]);
    expect(logger.text()).not.toContain("s3cr3t");
    expect(logger.text()).not.toContain(SECRET);
  });

  it("takes POST only, JSON only, and refuses cross-site posts", async () => {
    const gate = gateFor(18);
    const token = mintToken(keyOf(18), "gateway.example");
    const get = await gate.handleProof(new Request(`${SITE}/.well-known/blindgate/proof`));
    expect(get.status).toBe(405);
    expect(get.headers.get("Allow")).toBe("POST");
    const form = await gate.handleProof(proof(token, { headers: { "Content-Type": "text/plain" } }));
    expect(await errorCode(form)).toBe("ERR_BAD_REQUEST");
    const crossSite = await gate.handleProof(
      proof(token, { headers: { "Content-Type": "application/json", "Sec-Fetch-Site": "cross-site" } }),
    );
    expect(crossSite.status).toBe(403);
    expect(await errorCode(crossSite)).toBe("ERR_CROSS_SITE");
    expect(gateway.checks).toHaveLength(0);
  });

  it("refuses extra fields, wrong types, oversized bodies and non-tokens", async () => {
    const gate = gateFor(18);
    const token = b64(mintToken(keyOf(18), "gateway.example"));
    const bodies = [
      JSON.stringify({ token, site: "x" }),
      JSON.stringify({ token: 1 }),
      JSON.stringify([token]),
      "null",
      "{",
      JSON.stringify({ token: "x".repeat(3000) }),
    ];
    for (const body of bodies) {
      const response = await gate.handleProof(
        new Request(`${SITE}/p`, { method: "POST", headers: { "Content-Type": "application/json" }, body }),
      );
      expect(await errorCode(response)).toBe("ERR_BAD_REQUEST");
    }
    expect(await errorCode(await gate.handleProof(proof("AAAA")))).toBe("ERR_MALFORMED_TOKEN");
    expect(gateway.checks).toHaveLength(0);
  });
});

describe("gated requests", () => {
  it("redeem an Authorization: PrivateToken header and set the cookie on that response", async () => {
    const gate = gateFor(18);
    const token = mintToken(keyOf(18), "gateway.example");
    const handler = gate.protect((_request, { ageOver }) => new Response(`over ${ageOver}`));
    const response = await handler(
      new Request(`${SITE}/adult`, {
        headers: { Authorization: `PrivateToken token="${Buffer.from(token).toString("base64url")}"` },
      }),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("over 18");
    expect(cookieOf(response)).toMatch(/^__Host-blindgate-age=/);
  });

  it("answer a refused PrivateToken with a fresh 401 challenge naming the reason", async () => {
    const result = refused(
      await gateFor(18).check(
        new Request(`${SITE}/adult`, {
          headers: { Authorization: `PrivateToken token="${b64(mintToken(keyOf(15), "gateway.example"))}"` },
        }),
      ),
    );
    expect(result.response.status).toBe(401);
    expect(result.error.code).toBe("ERR_THRESHOLD_TOO_LOW");
    expect(parseWwwAuthenticate(result.response.headers.get("WWW-Authenticate") ?? "")).toHaveLength(1);
  });

  it("ignore other Authorization schemes (the site's own auth) and fall back to the cookie", async () => {
    const result = refused(
      await gateFor(18).check(
        new Request(`${SITE}/`, { headers: { Authorization: "Bearer site-user-token" } }),
      ),
    );
    expect(result.error.code).toBe("ERR_AGE_REQUIRED");
  });

  it("refuse a session for a lower threshold (keeping it for other sections) and an expired one (deleted)", async () => {
    const gate16 = gateFor(16);
    const cookie = cookieOf(await gate16.handleProof(proof(mintToken(keyOf(16), "gateway.example"))));
    expect((await gate16.check(new Request(`${SITE}/`, { headers: { Cookie: cookie } }))).ok).toBe(true);
    const low = refused(await gateFor(18).check(new Request(`${SITE}/`, { headers: { Cookie: cookie } })));
    expect(low.response.status).toBe(401);
    expect(low.error.code).toBe("ERR_AGE_REQUIRED");
    expect(low.response.headers.getSetCookie()).toEqual([]);
    clock.advance(15 * 60);
    const expired = refused(await gate16.check(new Request(`${SITE}/`, { headers: { Cookie: cookie } })));
    expect(expired.error.code).toBe("ERR_AGE_REQUIRED");
    expect(expired.response.headers.getSetCookie()).toEqual([
      "__Host-blindgate-age=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0",
    ]);
  });

  it("refuse a tampered session cookie and delete it", async () => {
    const gate = gateFor(18);
    const cookie = cookieOf(await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example"))));
    const tampered = `${cookie.slice(0, -2)}${cookie.endsWith("A") ? "B" : "A"}${cookie.slice(-1)}`;
    const result = refused(await gate.check(new Request(`${SITE}/`, { headers: { Cookie: tampered } })));
    expect(result.response.status).toBe(401);
    expect(result.response.headers.getSetCookie()[0]).toMatch(/Max-Age=0$/);
  });

  it("route the proof path through protect()", async () => {
    const handler = gateFor(18).protect(() => new Response("secret"));
    const response = await handler(proof(mintToken(keyOf(18), "gateway.example")));
    expect(await response.json()).toEqual({ ok: true, ageOver: 18 });
  });

  it("fail closed on a redeemed Authorization token when the gateway is down", async () => {
    const gate = gateFor(18);
    await gate.check(new Request(`${SITE}/`));
    gateway.mode = "down";
    const result = refused(
      await gate.check(
        new Request(`${SITE}/`, {
          headers: { Authorization: `PrivateToken token="${b64(mintToken(keyOf(18), "gateway.example"))}"` },
        }),
      ),
    );
    expect(result.response.status).toBe(503);
    expect(result.error.code).toBe("ERR_GATEWAY_UNAVAILABLE");
  });
});

describe("verifier option", () => {
  it("uses a custom verifier factory (here node:crypto) with the directory keys", async () => {
    const seen: number[] = [];
    const gate = gateFor(18, {
      verifier: (keys) => {
        seen.push(keys.length);
        return nodeVerifier(keys);
      },
    });
    const response = await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example")));
    expect(await response.json()).toEqual({ ok: true, ageOver: 18 });
    expect(seen).toEqual([5]);
  });

  it("fails closed when the verifier factory throws", async () => {
    const gate = gateFor(18, {
      verifier: () => {
        throw new Error("no keys for you");
      },
    });
    const response = await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example")));
    expect(response.status).toBe(503);
    expect(gateway.checks).toHaveLength(0);
  });
});

describe("configuration", () => {
  it.each([
    { minAge: 0 },
    { minAge: 18.5 },
    { issuers: [] },
    { issuers: { url: "http://gateway.example", siteKey: "k" } },
    { issuers: { url: "https://gateway.example/?x=1", siteKey: "k" } },
    { issuers: { url: "https://gateway.example", siteKey: "" } },
    {
      issuers: [
        { url: "https://g.example", siteKey: "k" },
        { url: "https://g.example/", siteKey: "k" },
      ],
    },
    { proofPath: "relative" },
    { session: { secret: "short" } },
  ] as Partial<AgeGateOptions>[])("refuses %j with CONFIG", (bad) => {
    expect(() => gateFor(18, bad)).toThrow(expect.objectContaining({ code: "ERR_CONFIG" }));
  });

  it("allows http for localhost gateways", () => {
    expect(() => gateFor(18, { issuers: { url: "http://127.0.0.1:8787", siteKey: "k" } })).not.toThrow();
  });
});

describe("key consistency: the issuer's key log", () => {
  it("accepts a token of an announced key, reading the log once per key", async () => {
    const gate = gateFor(18);
    for (let i = 0; i < 3; i++) {
      expect((await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example")))).status).toBe(200);
    }
    expect(gateway.keyLogFetches).toBe(1);
    expect(gateway.checks).toHaveLength(3);
  });

  it("refuses a token of a key the directory lists but the log does not announce, before any check", async () => {
    gateway.unannounced.add(keyOf(18).keyId);
    const response = await gateFor(18).handleProof(proof(mintToken(keyOf(18), "gateway.example")));
    expect(response.status).toBe(403);
    expect(await errorCode(response)).toBe("ERR_KEY_NOT_ANNOUNCED");
    expect(gateway.checks).toHaveLength(0);
  });

  it("refuses when the log's hash chain is broken", async () => {
    gateway.tamperKeyLog = true;
    const response = await gateFor(18).handleProof(proof(mintToken(keyOf(18), "gateway.example")));
    expect(await errorCode(response)).toBe("ERR_KEY_NOT_ANNOUNCED");
    expect(gateway.checks).toHaveLength(0);
  });

  it.each(["down", "500", "garbage"] as const)("fails closed when the log is %s", async (mode) => {
    gateway.keyLogMode = mode;
    const response = await gateFor(18).handleProof(proof(mintToken(keyOf(18), "gateway.example")));
    expect(response.status).toBe(503);
    expect(await errorCode(response)).toBe("ERR_GATEWAY_UNAVAILABLE");
    expect(gateway.checks).toHaveLength(0);
  });

  it("does not read a log for an issuer configured without one", async () => {
    gateway.keyLogMode = "down";
    const gate = createAgeGate({
      issuers: { url: gateway.baseUrl, siteKey: gateway.siteKey, keyLog: false },
      minAge: 18,
      session: { secret: SECRET },
      fetch: fetchFor(gateway),
      now: clock.now,
    });
    expect((await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example")))).status).toBe(200);
    expect(gateway.keyLogFetches).toBe(0);
  });
});
