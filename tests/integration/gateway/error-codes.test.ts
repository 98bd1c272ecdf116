import { KMSClient } from "@blindgate/aws-json/kms";
import {
  beginCredential,
  beginIssuance,
  beginRefill,
  creditParams,
  decodeBatchResponse,
  encodeBatchRequest,
  finishCredential,
  finishIssuance,
  fromBase64Url,
  GATEWAY_ERROR_CODES,
  GATEWAY_ERRORS,
  type GatewayErrorCode,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  TOKEN_REQUEST_MEDIA_TYPE,
  TokenChallenge,
  TokenRequest,
  TokenResponse,
  toBase64Url,
} from "@blindgate/sdk/protocol/internal";
import { exportGrantJwks } from "@blindgate/sdk/provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpEvent } from "../../../dev/lambda-http.js";
import { createCheckHandler } from "../../../functions/handlers/check.js";
import { createIssueHandler } from "../../../functions/handlers/issue.js";
import { createKmsKeyVault } from "../../../functions/issuer/key-vault.js";
import { rotateKeys } from "../../../functions/issuer/rotation.js";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { createDeps, type Deps } from "../../../functions/runtime.js";
import { type DynamoServer, startDynalite } from "../../support/dynamo.js";
import { startFakeKms } from "../../support/kms.js";
import { type FaultyProxy, startFaultyProxy } from "../../support/tcp-proxy.js";
import { check, currentKey, issue, makeGrant, registerProvider, type TestProvider } from "./client.js";

/*
 * Every code of the gateway contract, produced through HTTP by the request that should produce it, with the
 * status the contract gives it — and the red team's findings (issue 11), each with the test that failed before:
 * a batch over the limit is 413 not 500; a refused request spends nothing (the grant still works after a bad
 * blinded message; nulls are not charged); exp < iat is refused; ERR_TOKEN_BELOW_AGE does not say the threshold;
 * the store down or slow is a typed 503 that writes nothing and recovers; KMS down stops issuance, not checks.
 */

const seen = new Map<GatewayErrorCode, number>();
/** Codes no request of ours can produce: they are answered by the edge (WAF) or mean a bug. */
const NOT_PRODUCIBLE: Partial<Record<GatewayErrorCode, string>> = {
  ERR_THROTTLED: "answered by the edge firewall (infra/), not by the functions",
  ERR_INTERNAL: "an unexpected fault: no request may produce it (the fuzz tests assert it never happens)",
  ERR_PROVIDER_THRESHOLD:
    "no longer sent: a grant above the provider's ceiling is issued at the ceiling (asserted below); the code keeps its meaning",
};

let gateway: LocalGateway;
let provider: TestProvider;
let siteKey: string;

async function call(
  path: string,
  init: { method?: string; type?: string; body?: Uint8Array | string; auth?: string } = {},
): Promise<{ status: number; code: string | undefined; message: string | undefined; json: unknown }> {
  const res = await fetch(`${gateway.url}${path}`, {
    method: init.method ?? "POST",
    headers: {
      ...(init.type === undefined ? {} : { "content-type": init.type }),
      ...(init.auth === undefined ? {} : { authorization: `Bearer ${init.auth}` }),
    },
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === "string" ? init.body : Buffer.from(init.body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
  return { status: res.status, code: error?.code, message: error?.message, json };
}

/** Assert the answer is `code` with the contract's status, and count it. */
function expectCode(answer: { status: number; code: string | undefined }, code: GatewayErrorCode): void {
  expect({ status: answer.status, code: answer.code }).toEqual({
    status: { ...GATEWAY_ERROR_STATUS }[code],
    code,
  });
  seen.set(code, (seen.get(code) ?? 0) + 1);
}

const GATEWAY_ERROR_STATUS = Object.fromEntries(
  Object.entries(GATEWAY_ERRORS).map(([c, e]) => [c, e.status]),
) as Record<GatewayErrorCode, number>;

async function singleRequest(threshold: number): Promise<TokenRequest> {
  const challenge = TokenChallenge.crossOrigin(gateway.issuerName).encode();
  return (await beginIssuance({ challenge, tokenKey: await currentKey(gateway, threshold) })).request;
}

beforeAll(async () => {
  gateway = await startLocalGateway({ wallet: false });
  provider = await registerProvider(gateway, "codes-provider");
  siteKey = (await gateway.addSite("codes-site")).apiKey;
});
afterAll(async () => gateway?.close());

describe("every gateway error code, through HTTP", () => {
  it("request codes on every route", async () => {
    expectCode(await call("/v1/check", { method: "GET" }), "ERR_METHOD");
    expectCode(await call("/nowhere", { method: "GET" }), "ERR_NOT_FOUND");
    expectCode(await call("/v1/check", { type: "text/plain", body: "{}", auth: siteKey }), "ERR_MEDIA_TYPE");
    expectCode(
      await call("/v1/check", { type: "application/json", body: "x".repeat(20_000), auth: siteKey }),
      "ERR_BODY_TOO_LARGE",
    );
    expectCode(
      await call("/v1/check", { type: "application/json", body: '{"token":1}', auth: siteKey }),
      "ERR_BAD_REQUEST",
    );
    expectCode(await call("/v1/key-log?from=x", { method: "GET" }), "ERR_BAD_REQUEST");
  });

  it("issue: decoding, batch size (finding 1: 101 requests were a 500), unknown key, bad blinded message", async () => {
    const grant = await makeGrant(gateway, provider);
    expectCode(
      await call("/token-request", {
        type: GENERIC_BATCH_REQUEST_MEDIA_TYPE,
        body: new Uint8Array([9, 9]),
        auth: grant,
      }),
      "ERR_DECODE",
    );
    const type1 = new Uint8Array(259);
    type1[1] = 1;
    expectCode(
      await call("/token-request", { type: TOKEN_REQUEST_MEDIA_TYPE, body: type1, auth: grant }),
      "ERR_UNSUPPORTED_TOKEN_TYPE",
    );
    const request = await singleRequest(18);
    for (const [count, tokenType, size] of [
      [101, 2, 259],
      [102, 2, 259],
      [101, 1, 52],
      [500, 1, 52],
    ] as const) {
      const items = Array.from({ length: count }, () => ({
        tokenType,
        request: tokenType === 2 ? request.encode() : new Uint8Array([0, 1, ...new Uint8Array(size - 2)]),
      }));
      const answer = await call("/token-request", {
        type: GENERIC_BATCH_REQUEST_MEDIA_TYPE,
        body: encodeBatchRequest(items),
        auth: grant,
      });
      expect(answer.status, `${count} type-${tokenType} requests`).toBeLessThan(500);
      if (answer.code === "ERR_BATCH_TOO_LARGE") expectCode(answer, "ERR_BATCH_TOO_LARGE");
      else expectCode(answer, "ERR_BODY_TOO_LARGE");
    }
    expect(seen.get("ERR_BATCH_TOO_LARGE")).toBeGreaterThan(0);
    const unknown = new TokenRequest((request.truncatedTokenKeyId + 1) % 256, request.blindedMsg);
    expectCode(
      await call("/token-request", { type: TOKEN_REQUEST_MEDIA_TYPE, body: unknown.encode(), auth: grant }),
      "ERR_UNKNOWN_KEY",
    );
    const tooBig = new TokenRequest(request.truncatedTokenKeyId, new Uint8Array(256).fill(0xff));
    expectCode(
      await call("/token-request", { type: TOKEN_REQUEST_MEDIA_TYPE, body: tooBig.encode(), auth: grant }),
      "ERR_BLINDED_MSG",
    );
    // finding 2: none of those used the grant up, nor counted against the quota
    expect(
      await gateway.stores.providers.usage(
        provider.id,
        new Date(gateway.deps.now() * 1000).toISOString().slice(0, 7),
      ),
    ).toBe(0);
    const ok = await issue(gateway, grant, [await currentKey(gateway, 18)]);
    expect(ok.status).toBe(200);
  });

  it("issue: null answers in a batch are not charged to the quota (finding 2)", async () => {
    const month = new Date(gateway.deps.now() * 1000).toISOString().slice(0, 7);
    const before = await gateway.stores.providers.usage(provider.id, month);
    const good = await singleRequest(18);
    const bad = new TokenRequest(good.truncatedTokenKeyId, new Uint8Array(256).fill(0xff));
    const answer = await call("/token-request", {
      type: GENERIC_BATCH_REQUEST_MEDIA_TYPE,
      body: encodeBatchRequest([good, bad].map((r) => ({ tokenType: 2, request: r.encode() }))),
      auth: await makeGrant(gateway, provider),
    });
    expect(answer.status).toBe(206);
    expect(await gateway.stores.providers.usage(provider.id, month)).toBe(before + 1);
  });

  it("grant codes, each refusing before anything is spent", async () => {
    const k18 = await currentKey(gateway, 18);
    const refuse = async (grant: string | undefined, code: GatewayErrorCode, keys = [k18]) => {
      const r = await issue(gateway, grant, keys);
      expectCode({ status: r.status, code: JSON.parse(new TextDecoder().decode(r.body)).error?.code }, code);
    };
    const now = gateway.deps.now();
    await refuse(undefined, "ERR_GRANT_MISSING");
    await refuse("not.a.jwt", "ERR_GRANT_MALFORMED");
    const stranger = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
    await refuse(await makeGrant(gateway, provider, {}, stranger.privateKey), "ERR_GRANT_SIGNATURE");
    await refuse(await makeGrant(gateway, provider, { iat: now - 600, exp: now - 300 }), "ERR_GRANT_EXPIRED");
    await refuse(await makeGrant(gateway, provider, { aud: "other.example" }), "ERR_GRANT_AUDIENCE");
    await refuse(await makeGrant(gateway, provider, { name: "Alice" }), "ERR_GRANT_CLAIMS");
    await refuse(await makeGrant(gateway, provider, { exp: now + 3600 }), "ERR_GRANT_LIFETIME");
    // finding 6: exp before iat was accepted
    await refuse(await makeGrant(gateway, provider, { iat: now + 20, exp: now + 10 }), "ERR_GRANT_LIFETIME");
    await refuse(await makeGrant(gateway, provider, { age_over: 16 }), "ERR_GRANT_THRESHOLD");
    await refuse(await makeGrant(gateway, provider, { max_tokens: 1 }), "ERR_GRANT_TOO_MANY", [k18, k18]);
    const used = await makeGrant(gateway, provider);
    expect((await issue(gateway, used, [k18])).status).toBe(200);
    await refuse(used, "ERR_GRANT_REPLAYED");
  });

  it("provider codes: unknown, suspended, over quota; above the ceiling is issued at the ceiling", async () => {
    const k18 = await currentKey(gateway, 18);
    const code = async (grant: string) => {
      const r = await issue(gateway, grant, [k18]);
      return { status: r.status, code: JSON.parse(new TextDecoder().decode(r.body)).error?.code as string };
    };
    expectCode(await code(await makeGrant(gateway, { ...provider, id: "nobody" })), "ERR_PROVIDER_UNKNOWN");
    const small = await registerProvider(gateway, "codes-small", 1);
    expect((await issue(gateway, await makeGrant(gateway, small), [k18])).status).toBe(200);
    expectCode(await code(await makeGrant(gateway, small)), "ERR_PROVIDER_QUOTA");
    const low = await registerProvider(gateway, "codes-low");
    await gateway.stores.providers.setStatus(low.id, "suspended");
    expectCode(await code(await makeGrant(gateway, low)), "ERR_PROVIDER_SUSPENDED");
    const teen = await gateway.addProvider({
      id: "codes-teen",
      name: "Teen checks",
      verifyUrl: "http://127.0.0.1:9/teen",
      jwks: await exportGrantJwks(provider.key),
      maxThreshold: 16,
    });
    expect(teen.maxThreshold).toBe(16);
    // an adult at a provider capped at 16 gets tokens up to 16, never 18
    const capped = { id: "codes-teen", key: provider.key };
    expectCode(await code(await makeGrant(gateway, capped, { age_over: 18 })), "ERR_GRANT_THRESHOLD");
    const k16 = await currentKey(gateway, 16);
    expect((await issue(gateway, await makeGrant(gateway, capped, { age_over: 18 }), [k16])).status).toBe(
      200,
    );
    // finding 4: re-adding an existing provider changes nothing (it was made active again)
    await expect(
      gateway.addProvider({
        id: low.id,
        name: "again",
        verifyUrl: "http://127.0.0.1:9/x",
        jwks: await exportGrantJwks(provider.key),
      }),
    ).rejects.toThrow(/exists already/);
    expect((await gateway.stores.providers.get(low.id))?.status).toBe("suspended");
  });

  it("credit codes", async () => {
    const grant = await makeGrant(gateway, provider, { max_tokens: 100 });
    const post = (path: string, body: unknown, auth?: string) =>
      call(path, { type: "application/json", body: JSON.stringify(body), ...(auth ? { auth } : {}) });
    expectCode(await post("/v1/credential", { credit: "AAAA" }, grant), "ERR_CREDIT_MALFORMED");
    const params = creditParams(gateway.issuerName);
    const { request, state } = beginCredential(params);
    const tampered = request.slice();
    tampered[40]! ^= 1;
    expectCode(await post("/v1/credential", { credit: toBase64Url(tampered) }, grant), "ERR_CREDIT_PROOF");
    expectCode(
      await post("/v1/refill", { creditKeyId: "0".repeat(64), proof: "AAAA", tokens: "AAAA" }),
      "ERR_CREDIT_KEY_UNKNOWN",
    );
    // a live credential of threshold 16
    const answer = await post(
      "/v1/credential",
      { credit: toBase64Url(request) },
      await makeGrant(gateway, provider, { age_over: 16, max_tokens: 100 }),
    );
    expect(answer.status).toBe(200);
    const { creditKeyId, credit } = answer.json as { creditKeyId: string; credit: string };
    const directory = (await import("@blindgate/sdk/protocol")).parseDirectory(
      await (await fetch(`${gateway.url}/.well-known/private-token-issuer-directory`)).json(),
    );
    const actKey = directory.creditKeys!.find(
      (k) => k.ageOver === 16 && k.notBefore <= gateway.deps.now(),
    )!.actKey;
    const cred = finishCredential(params, actKey, state, fromBase64Url(credit));
    const batch = async (thresholds: number[]) => {
      const challenge = TokenChallenge.crossOrigin(gateway.issuerName).encode();
      const begun = await Promise.all(
        thresholds.map(async (t) => beginIssuance({ challenge, tokenKey: await currentKey(gateway, t) })),
      );
      return toBase64Url(
        encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() }))),
      );
    };
    const refill = async (credits: number, thresholds: number[]) => ({
      creditKeyId,
      proof: toBase64Url(beginRefill(params, cred, credits).proof),
      tokens: await batch(thresholds),
    });
    expectCode(await post("/v1/refill", await refill(2, [13])), "ERR_CREDIT_AMOUNT");
    expectCode(await post("/v1/refill", await refill(1, [18])), "ERR_CREDIT_THRESHOLD");
    expect((await post("/v1/refill", await refill(1, [16]))).status).toBe(200);
    expectCode(await post("/v1/refill", await refill(1, [13])), "ERR_CREDIT_SPENT");
  });

  it("band codes: grant, provider rights and band quota, credential, check", async () => {
    const now = gateway.deps.now();
    const day = Math.floor(now / 86_400) * 86_400;
    const rights = await gateway.addProvider({
      id: "codes-bands",
      name: "Band checks",
      verifyUrl: "http://127.0.0.1:9/bands",
      jwks: await exportGrantJwks(provider.key),
      bands: ["13-16", "16-18", "13-18"],
    });
    expect(rights.bands).toEqual(["13-16", "16-18", "13-18"]);
    const banded = { id: "codes-bands", key: provider.key };
    const teen = (claims: Record<string, unknown> = {}) =>
      makeGrant(gateway, banded, {
        age_over: 15,
        age_below: 16,
        below_until: day + 30 * 86_400,
        max_tokens: 40,
        ...claims,
      });
    const b1316 = await currentKey(gateway, 13, 16);
    const b1618 = await currentKey(gateway, 16, 18);
    const refuse = async (grant: string, keys: Uint8Array[], code: GatewayErrorCode) => {
      const r = await issue(gateway, grant, keys);
      expectCode({ status: r.status, code: JSON.parse(new TextDecoder().decode(r.body)).error?.code }, code);
    };
    // a threshold grant buys no band; a 15-year-old's grant no 16–17 token, a 16-year-old's no 13–15 token; no band
    // token outliving below_until
    await refuse(await makeGrant(gateway, banded, { age_over: 15 }), [b1316], "ERR_GRANT_BAND");
    await refuse(await teen(), [b1618], "ERR_GRANT_THRESHOLD");
    await refuse(await teen({ age_over: 16, age_below: 18 }), [b1316], "ERR_GRANT_BAND");
    await refuse(await teen({ below_until: day + 86_400 }), [b1316], "ERR_GRANT_BAND_EXPIRY");
    await refuse(
      await teen(),
      Array.from({ length: 11 }, () => b1316),
      "ERR_GRANT_BAND_LIMIT",
    );
    await refuse(await teen({ age_below: 15 }), [b1316], "ERR_GRANT_CLAIMS");
    await refuse(await teen({ below_until: undefined }), [b1316], "ERR_GRANT_CLAIMS");
    await refuse(await teen({ below_until: day + 30 * 86_400 + 1 }), [b1316], "ERR_GRANT_CLAIMS");
    // the default provider has no band rights; a provider with a band quota of 0 may state none this month
    await refuse(
      await makeGrant(gateway, provider, { age_over: 15, age_below: 16, below_until: day + 30 * 86_400 }),
      [b1316],
      "ERR_PROVIDER_INTERVAL",
    );
    await gateway.addProvider({
      id: "codes-bands-none",
      name: "Band checks, no quota",
      verifyUrl: "http://127.0.0.1:9/bands",
      jwks: await exportGrantJwks(provider.key),
      bands: ["13-16"],
      monthlyBandQuota: 0,
    });
    await refuse(
      await makeGrant(
        gateway,
        { id: "codes-bands-none", key: provider.key },
        { age_over: 15, age_below: 16, below_until: day + 30 * 86_400 },
      ),
      [b1316],
      "ERR_PROVIDER_BAND_QUOTA",
    );
    // the grant is sound: none of the refusals above spent it
    const ok = await issue(gateway, await teen(), [
      b1316,
      await currentKey(gateway, 13, 18),
      await currentKey(gateway, 15),
    ]);
    expect(ok.status).toBe(200);
    const [band, wide, t15] = ok.tokens;

    // a threshold credential (16) buys no band token
    const params = creditParams(gateway.issuerName);
    const { request, state } = beginCredential(params);
    const answer = await call("/v1/credential", {
      type: "application/json",
      body: JSON.stringify({ credit: toBase64Url(request) }),
      auth: await makeGrant(gateway, provider, { age_over: 16, max_tokens: 100 }),
    });
    expect(answer.status).toBe(200);
    const { creditKeyId, credit } = answer.json as { creditKeyId: string; credit: string };
    const directory = (await import("@blindgate/sdk/protocol")).parseDirectory(
      await (await fetch(`${gateway.url}/.well-known/private-token-issuer-directory`)).json(),
    );
    const actKey = directory.creditKeys!.find(
      (k) => k.ageOver === 16 && k.ageBelow === undefined && k.notBefore <= now,
    )!.actKey;
    const cred = finishCredential(params, actKey, state, fromBase64Url(credit));
    const begun = await beginIssuance({
      challenge: TokenChallenge.crossOrigin(gateway.issuerName).encode(),
      tokenKey: b1618,
    });
    expectCode(
      await call("/v1/refill", {
        type: "application/json",
        body: JSON.stringify({
          creditKeyId,
          proof: toBase64Url(beginRefill(params, cred, 1).proof),
          tokens: toBase64Url(encodeBatchRequest([{ tokenType: 2, request: begun.request.encode() }])),
        }),
      }),
      "ERR_CREDIT_BAND",
    );

    // check: a threshold token, or a band wider than asked, does not prove "below"; neither is spent
    const check = (token: typeof band, minAge: number, ageBelow?: number) =>
      call("/v1/check", {
        type: "application/json",
        body: JSON.stringify({
          token: toBase64Url(token!.encode()),
          minAge,
          ...(ageBelow === undefined ? {} : { ageBelow }),
        }),
        auth: siteKey,
      });
    const adultRoom = await check(t15, 13, 18);
    expectCode(adultRoom, "ERR_TOKEN_INTERVAL");
    expect(adultRoom.message).not.toMatch(/15/);
    expectCode(await check(wide, 13, 16), "ERR_TOKEN_INTERVAL");
    expectCode(await check({ encode: () => new Uint8Array(3) } as never, 13, 13), "ERR_BAD_REQUEST");
    expect(await check(wide, 13, 18)).toMatchObject({
      status: 200,
      json: { valid: true, ageOver: 13, ageBelow: 18 },
    });
    expect(await check(band, 13, 18)).toMatchObject({ status: 200, json: { ageOver: 13, ageBelow: 16 } });
    expect(await check(t15, 13)).toMatchObject({ status: 200, json: { ageOver: 15 } });
  });

  it("check codes; BELOW_AGE does not tell the token's threshold (finding 6)", async () => {
    const post = (body: unknown, auth: string | null = siteKey) =>
      call("/v1/check", { type: "application/json", body: JSON.stringify(body), ...(auth ? { auth } : {}) });
    expectCode(await post({ token: "AAAA", minAge: 18 }, null), "ERR_SITE_KEY_MISSING");
    expectCode(await post({ token: "AAAA", minAge: 18 }, "bgs_nobody"), "ERR_SITE_KEY_INVALID");
    const suspended = await gateway.addSite("codes-suspended");
    await gateway.stores.sites.setStatus(suspended.site.id, "suspended");
    expectCode(await post({ token: "AAAA", minAge: 18 }, suspended.apiKey), "ERR_SITE_SUSPENDED");
    expectCode(await post({ token: "AAAA", minAge: 18 }), "ERR_TOKEN_MALFORMED");
    const [t13, t18] = (
      await issue(gateway, await makeGrant(gateway, provider), [
        await currentKey(gateway, 13),
        await currentKey(gateway, 18),
      ])
    ).tokens;
    const b64 = (t: typeof t13) => toBase64Url(t!.encode());
    expectCode(await post({ token: b64(t18), minAge: 18, challenge: "AAAA" }), "ERR_CHALLENGE_MALFORMED");
    const forged = t18!.encode();
    forged[forged.length - 1]! ^= 1;
    expectCode(await post({ token: toBase64Url(forged), minAge: 18 }), "ERR_TOKEN_INVALID");
    const otherKey = forged.slice();
    otherKey[70]! ^= 1; // inside token_key_id
    expectCode(await post({ token: toBase64Url(otherKey), minAge: 18 }), "ERR_TOKEN_UNKNOWN_KEY");
    const below = await post({ token: b64(t13), minAge: 18 });
    expectCode(below, "ERR_TOKEN_BELOW_AGE");
    expect(below.message).not.toMatch(/13/);
    // not spent by the refusal: it still proves 13
    expect((await check(gateway, siteKey, t13!, 13)).status).toBe(200);
    expect((await check(gateway, siteKey, t18!, 18)).status).toBe(200);
    expectCode(await post({ token: b64(t18), minAge: 18 }), "ERR_TOKEN_SPENT");
  });

  it("the check's challenge field: a token for the site's own origin-bound challenge passes once", async () => {
    const challenge = new TokenChallenge({
      tokenType: 2,
      issuerName: gateway.issuerName,
      redemptionContext: crypto.getRandomValues(new Uint8Array(32)),
      originInfo: ["site.example"],
    }).encode();
    const { request, pending } = await beginIssuance({ challenge, tokenKey: await currentKey(gateway, 18) });
    const body = encodeBatchRequest([{ tokenType: 2, request: request.encode() }]);
    const res = await fetch(`${gateway.url}/token-request`, {
      method: "POST",
      headers: {
        "content-type": GENERIC_BATCH_REQUEST_MEDIA_TYPE,
        authorization: `Bearer ${await makeGrant(gateway, provider)}`,
      },
      body: Buffer.from(body),
    });
    expect(res.status).toBe(200);
    const [item] = decodeBatchResponse(new Uint8Array(await res.arrayBuffer()));
    const token = await finishIssuance(pending, TokenResponse.decode(item!.response));
    const send = (c?: Uint8Array) =>
      call("/v1/check", {
        type: "application/json",
        auth: siteKey,
        body: JSON.stringify({
          token: toBase64Url(token.encode()),
          minAge: 18,
          ...(c ? { challenge: toBase64Url(c) } : {}),
        }),
      });
    expectCode(await send(), "ERR_TOKEN_INVALID"); // not the cross-origin challenge
    expect((await send(challenge)).status).toBe(200);
    expectCode(await send(challenge), "ERR_TOKEN_SPENT");
  });
});

describe("faults: a store down or slow, KMS down", () => {
  let server: DynamoServer;
  let proxy: FaultyProxy;
  let faulty: LocalGateway;

  beforeAll(async () => {
    server = await startDynalite();
    proxy = await startFaultyProxy(server.endpoint);
    faulty = await startLocalGateway({ wallet: false, dynamoEndpoint: proxy.endpoint, thresholds: [18] });
  });
  afterAll(async () => {
    await faulty?.close();
    await proxy?.close();
    await server?.stop();
  });

  it("answers a typed 503 on every route while the store is down or slow, writes nothing, and recovers", async () => {
    const p = await registerProvider(faulty, "faulty-provider");
    const { apiKey } = await faulty.addSite("faulty-site");
    const k18 = await currentKey(faulty, 18);
    const [token] = (await issue(faulty, await makeGrant(faulty, p), [k18])).tokens;
    const other = gateway;
    gateway = faulty; // call() talks to the faulty gateway in this test
    try {
      for (const fault of ["down", "slow"] as const) {
        const grant = await makeGrant(faulty, p);
        const [fresh] = (await issue(faulty, await makeGrant(faulty, p), [k18])).tokens;
        if (fault === "down") proxy.down();
        else proxy.slow(5000);
        expectCode(await call("/v1/providers", { method: "GET" }), "ERR_UNAVAILABLE");
        expectCode(await call("/v1/key-log", { method: "GET" }), "ERR_UNAVAILABLE");
        const issued = await issue(faulty, grant, [k18]);
        expect(issued.status).toBe(503);
        const checked = await check(faulty, apiKey, fresh!, 18);
        expect(checked.status).toBe(503);
        expect(checked.json.error?.code).toBe("ERR_UNAVAILABLE");
        proxy.up();
        // Recovered, and nothing half-done: the same issue request is served (a write that landed after a timeout
        // makes it a retry, answered again), and the token is decided at most once.
        const again = await call("/token-request", {
          type: GENERIC_BATCH_REQUEST_MEDIA_TYPE,
          body: issued.request,
          auth: grant,
        });
        expect(again.status).toBe(200);
        // and the grant buys nothing else
        expect((await issue(faulty, grant, [k18])).status).toBe(401);
        const decided = await check(faulty, apiKey, fresh!, 18);
        if (fault === "down")
          expect(decided.status).toBe(200); // nothing reached the store
        else expect([200, 409]).toContain(decided.status); // the spend may have landed after the timeout
        expect((await check(faulty, apiKey, fresh!, 18)).status).toBe(409);
      }
      expect((await check(faulty, apiKey, token!, 18)).status).toBe(200);
    } finally {
      proxy.up();
      gateway = other;
    }
  }, 120_000);

  it("with KMS down, issuance answers 503 and checks keep working", async () => {
    const kms = await startFakeKms();
    const base = faulty.deps;
    const client = new KMSClient({
      endpoint: kms.endpoint,
      region: "eu-west-3",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    // Keys sealed under this KMS: a fresh table prefix would be cleaner, but a new rotation with new keys is enough.
    const fresh: Deps = createDeps({
      ...base,
      config: { ...base.config, tables: { ...base.config.tables } },
      vault: createKmsKeyVault(client, "arn:aws:kms:eu-west-3:111111111111:key/test"),
      now: () => base.now() + 10 * 86_400,
    });
    await rotateKeys(fresh);
    const issueHandler = createIssueHandler(fresh);
    const checkHandler = createCheckHandler(fresh);
    await kms.stop();
    const p = await registerProvider(faulty, "kms-provider");
    const request = (
      await beginIssuance({
        challenge: TokenChallenge.crossOrigin(faulty.issuerName).encode(),
        tokenKey: (
          await fresh.stores.keys.list()
        ).find(
          // a threshold key, as the grant below states no band
          (k) =>
            k.kind === "token" &&
            k.ageBelow === undefined &&
            k.notBefore <= fresh.now() &&
            fresh.now() < k.issueUntil,
        )!.spki,
      })
    ).request;
    const grantFor = await makeGrant({ ...faulty, deps: fresh } as LocalGateway, p);
    const issued = await issueHandler(
      httpEvent({
        method: "POST",
        path: "/token-request",
        headers: { "content-type": TOKEN_REQUEST_MEDIA_TYPE, authorization: `Bearer ${grantFor}` },
        body: request.encode(),
      }),
      {} as never,
    );
    expect(issued.statusCode).toBe(503);
    expect(JSON.parse(issued.body ?? "{}").error.code).toBe("ERR_UNAVAILABLE");
    seen.set("ERR_UNAVAILABLE", (seen.get("ERR_UNAVAILABLE") ?? 0) + 1);
    const checked = await checkHandler(
      httpEvent({
        method: "POST",
        path: "/v1/check",
        headers: { "content-type": "application/json", authorization: "Bearer bgs_nobody" },
        body: new TextEncoder().encode(JSON.stringify({ token: "AAAA", minAge: 18 })),
      }),
      {} as never,
    );
    expect(checked.statusCode).toBe(401); // the check path needs no KMS: it answered (the key is unknown)
  }, 120_000);
});

describe("the directory with no live token key", () => {
  it("answers a typed 503 with Retry-After, and the keys again once rotated", async () => {
    let now = 1_900_000_000;
    const empty = await startLocalGateway({ wallet: false, now: () => now, tablePrefix: "no-live-key" });
    try {
      for (const key of await empty.stores.keys.list()) await empty.stores.keys.remove(key.id);
      now += 31; // past the key cache's refresh
      const res = await fetch(`${empty.url}/.well-known/private-token-issuer-directory`);
      const body = (await res.json()) as { error?: { code?: string } };
      expectCode({ status: res.status, code: body.error?.code }, "ERR_NO_LIVE_KEY");
      expect(res.headers.get("retry-after")).toBe("30");
      await empty.rotate();
      now += 31;
      expect((await fetch(`${empty.url}/.well-known/private-token-issuer-directory`)).status).toBe(200);
    } finally {
      await empty.close();
    }
  }, 60_000);
});

describe("coverage", () => {
  it("every code of the contract was produced above, or is listed as not producible with a reason", () => {
    const missing = GATEWAY_ERROR_CODES.filter((c) => !seen.has(c) && NOT_PRODUCIBLE[c] === undefined);
    expect(missing).toEqual([]);
  });
});
