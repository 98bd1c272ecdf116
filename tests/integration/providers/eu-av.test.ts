import "../../support/reflect-metadata.js";
import { DeviceRequest } from "@animo-id/mdoc";
import { exportGrantJwks, type GrantKey, generateGrantKey } from "@blindgate/sdk/provider";
import fc from "fast-check";
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EuAvProvider, startEuAvProvider } from "../../../providers/eu-av/local.js";
import {
  answerRequest,
  createDeviceKey,
  createDocumentSigner,
  createTestIaca,
  type DeviceKey,
  dcApiVpToken,
  declineRequest,
  issueAttestation,
  type TestSigner,
} from "../../support/eu-av-holder.js";

/*
 * The EU AV provider over real HTTP, answered by a test holder in Node (a wallet app on another device): a test
 * IACA and document signer made now, attestations issued now, each refusal with its own code and no grant, the
 * happy path's grant verified with the provider's JWKS and carrying only the grant claims.
 */

process.env.BLINDGATE_QUIET = "1";
const WALLET = "http://wallet.localhost:8787";
const GATEWAY = "gateway.localhost";
let provider: EuAvProvider;
let signer: TestSigner;
let stranger: TestSigner;
let grantKey: GrantKey;
const DAY = 86_400_000;
const log: { method: string; url: string; body: string }[] = [];

beforeAll(async () => {
  const iaca = await createTestIaca();
  signer = await createDocumentSigner(iaca);
  stranger = await createDocumentSigner(await createTestIaca({ name: "C=XX, CN=Untrusted IACA" }));
  grantKey = await generateGrantKey({ kid: "eu-av-test" });
  provider = await startEuAvProvider({
    host: "127.0.0.1",
    gatewayIssuer: GATEWAY,
    walletOrigin: WALLET,
    trustedIacas: [iaca.pem],
    grantKey,
    // many sessions from one test address; the limit itself is tested on a provider of its own
    sessionsPerMinute: 10_000,
    onRequest: (r) => log.push(r),
  });
});

afterAll(async () => {
  await provider?.close();
});

const unescapeHtml = (s: string) => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));

/**
 * What the wallet does: open /verify (a page, no session); what its script does: POST /session for the links, the
 * QR code and the DC API requests.
 */
async function openVerifyPage() {
  const state = crypto.randomUUID().replace(/-/g, "");
  const res = await fetch(
    `${provider.localUrl}/verify?wallet_origin=${encodeURIComponent(WALLET)}&state=${state}`,
  );
  expect(res.status).toBe(200);
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  const html = await res.text();
  expect(unescapeHtml(/data-state="([^"]*)"/.exec(html)?.[1] ?? "")).toBe(state);
  const opened = await openSession(state);
  expect(opened.status).toBe(200);
  const body = opened.body as SessionAnswer;
  return {
    state,
    id: body.id,
    secret: body.secret,
    links: body.links,
    qr: body.qr,
    requestUri: body.links.openid4vp,
    dcApi: body.dcApi.find((r) => r.protocol === "openid4vp-v1-unsigned") as {
      protocol: string;
      data: { nonce: string };
    },
  };
}

interface SessionAnswer {
  id: string;
  secret: string;
  links: { av: string; openid4vp: string; byReference: string; crossDevice: string };
  qr: { size: number; path: string; version: number };
  dcApi: { protocol: string; data: unknown }[];
}

async function openSession(state: string, wallet = WALLET) {
  const res = await fetch(`${provider.localUrl}/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ wallet_origin: wallet, state }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
}

async function poll(page: { id: string; secret: string }) {
  const res = await fetch(`${provider.localUrl}/result`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ id: page.id, secret: page.secret }),
  });
  return { status: res.status, body: (await res.json()) as Answer };
}

async function attestation(
  claims: Record<string, unknown>,
  extra: Partial<Parameters<typeof issueAttestation>[1]> = {},
  by = signer,
): Promise<{ device: DeviceKey; mdoc: Uint8Array }> {
  const device = await createDeviceKey();
  return { device, mdoc: await issueAttestation(by, { device, claims, ...extra }) };
}

interface Answer {
  walletOrigin?: string;
  message: { type: string; state: string; grant: string; code?: string };
  error?: { code: string };
}

const ADULT = {
  age_over_13: true,
  age_over_15: true,
  age_over_16: true,
  age_over_18: true,
  age_over_21: false,
};

async function expectRefused(
  code: string,
  claims: Record<string, unknown>,
  extra: Partial<Parameters<typeof issueAttestation>[1]> = {},
  present: Parameters<typeof answerRequest>[3] = {},
  by = signer,
) {
  const page = await openVerifyPage();
  const { device, mdoc } = await attestation(claims, extra, by);
  const answer = await answerRequest(page.requestUri, mdoc, device, present);
  expect(answer.body).toMatchObject({ error: { code } });
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  const result = await poll(page);
  expect(result.status).toBe(200);
  expect(result.body.message).toEqual({
    type: "blindgate:grant-error",
    state: page.state,
    code: code === "ERR_UNDER_AGE" ? "UNDER_AGE" : code,
  });
  expect(JSON.stringify(result.body)).not.toContain('blindgate:grant"');
}

describe("EU AV provider over HTTP", () => {
  it("an adult's attestation gives a grant for 18 that verifies with the JWKS and carries only grant claims", async () => {
    const page = await openVerifyPage();
    expect(page.requestUri).toMatch(/^openid4vp:\/\/\?/);
    const request = new URL(page.requestUri).searchParams;
    expect(request.get("response_mode")).toBe("direct_post");
    expect(request.get("client_id")).toBe(`redirect_uri:${provider.url}/response`);
    const dcql = JSON.parse(request.get("dcql_query") ?? "");
    const paths = dcql.credentials[0].claims.map((c: { path: string[] }) => c.path.join("/"));
    expect(paths.every((p: string) => /^eu\.europa\.ec\.av\.1\/age_over_\d+$/.test(p))).toBe(true);
    expect(dcql.credentials[0].meta).toEqual({ doctype_value: "eu.europa.ec.av.1" });

    expect((await poll(page)).status).toBe(202);
    const { device, mdoc } = await attestation(ADULT);
    const answer = await answerRequest(page.requestUri, mdoc, device);
    expect(answer).toMatchObject({ status: 200, body: {} });
    const result = await poll(page);
    expect(result.status).toBe(200);
    expect(result.body.walletOrigin).toBe(WALLET);
    expect(result.body.message.type).toBe("blindgate:grant");
    expect(result.body.message.state).toBe(page.state);
    const grant = result.body.message.grant as string;

    const jwks = await (await fetch(`${provider.localUrl}/jwks.json`)).json();
    expect(jwks).toEqual(await exportGrantJwks(grantKey));
    const { payload, protectedHeader } = await jwtVerify(grant, createLocalJWKSet(jwks), {
      issuer: "eu-av",
      audience: GATEWAY,
    });
    expect(protectedHeader).toEqual({ alg: "ES256", kid: "eu-av-test" });
    expect(Object.keys(payload).sort()).toEqual([
      "age_over",
      "aud",
      "exp",
      "iat",
      "iss",
      "jti",
      "max_tokens",
    ]);
    expect(payload.age_over).toBe(18);
    expect(payload.max_tokens).toBe(30);

    // collected once: a second poll gets nothing
    const again = await poll(page);
    expect(again).toMatchObject({ status: 409, body: { error: { code: "ERR_SESSION_USED" } } });
  });

  it("an answer with parameters it does not know (RFC 9207 iss, anything) is taken, the extras ignored", async () => {
    const page = await openVerifyPage();
    const { device, mdoc } = await attestation(ADULT);
    const answer = await answerRequest(page.requestUri, mdoc, device, {
      extra: { iss: "https://wallet.example", presentation_submission: "{}", x_unknown: "1" },
    });
    expect(answer).toMatchObject({ status: 200, body: {} });
    expect(decodeJwt((await poll(page)).body.message.grant).age_over).toBe(18);
  });

  it("a person who declines in the app: 200 {} to the app, and the page learns it at once (no wait for expiry)", async () => {
    const page = await openVerifyPage();
    expect((await poll(page)).status).toBe(202);
    const declined = await declineRequest(page.requestUri, "access_denied", { description: "User declined" });
    expect(declined).toEqual({ status: 200, body: {}, contentType: "application/json" });
    const result = await poll(page);
    expect(result.status).toBe(200);
    expect(result.body.message).toEqual({
      type: "blindgate:grant-error",
      state: page.state,
      code: "ERR_WALLET_DECLINED",
    });
    expect(result.body).toMatchObject({
      walletError: { error: "access_denied", description: "User declined" },
    });
    // the request is over: a late answer to it is refused as a replay
    const { device, mdoc } = await attestation(ADULT);
    const late = await answerRequest(page.requestUri, mdoc, device);
    expect(late).toMatchObject({ status: 409, body: { error: { code: "ERR_SESSION_USED" } } });
  });

  it("another error of the app is ERR_WALLET_ERROR with the app's code; a description outside RFC 6749's charset is dropped", async () => {
    const page = await openVerifyPage();
    const answer = await declineRequest(page.requestUri, "invalid_request", { description: 'bad "quote"' });
    expect(answer.status).toBe(200);
    const result = await poll(page);
    expect(result.body.message).toMatchObject({ code: "ERR_WALLET_ERROR" });
    expect(result.body).toMatchObject({ walletError: { error: "invalid_request" } });
    expect(JSON.stringify(result.body)).not.toContain("quote");
  });

  it("an error response must be well formed: error and vp_token together, or an error outside the charset, is 400", async () => {
    const page = await openVerifyPage();
    const state = new URL(page.requestUri).searchParams.get("state") ?? "";
    for (const form of [
      { error: "access_denied", vp_token: "{}", state },
      { error: 'bad"code', state },
      { error: "", state },
    ]) {
      const res = await fetch(`${provider.localUrl}/response`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(form),
      });
      expect(res.status).toBe(400);
      expect(res.headers.get("x-error-code")).toBe("ERR_BAD_REQUEST");
    }
    expect((await poll(page)).status).toBe(202);
  });

  it("a 16-year-old whose attestation has only age_over_18 (false) is refused UNDER_AGE", async () => {
    await expectRefused("ERR_UNDER_AGE", { age_over_18: false });
  });

  it("a 16-year-old with age_over_16 gets a grant for 16, not 18", async () => {
    const page = await openVerifyPage();
    const { device, mdoc } = await attestation({ age_over_13: true, age_over_16: true, age_over_18: false });
    expect((await answerRequest(page.requestUri, mdoc, device)).status).toBe(200);
    const result = await poll(page);
    expect(decodeJwt(result.body.message.grant).age_over).toBe(16);
  });

  it("refuses an expired attestation", async () => {
    await expectRefused("ERR_VALIDITY", ADULT, {
      signed: new Date(Date.now() - 100 * DAY),
      validUntil: new Date(Date.now() - DAY),
    });
  });

  it("refuses another docType", async () => {
    await expectRefused(
      "ERR_DOCTYPE",
      { age_over_18: true },
      { docType: "org.iso.18013.5.1.mDL", namespace: "org.iso.18013.5.1" },
      { namespace: "org.iso.18013.5.1" },
    );
  });

  it("refuses elements beyond age_over (a name disclosed)", async () => {
    await expectRefused(
      "ERR_EXTRA_CLAIMS",
      { ...ADULT, family_name: "Doe" },
      {},
      {
        elements: ["age_over_18", "family_name"],
      },
    );
  });

  it("refuses an element of another namespace", async () => {
    const page = await openVerifyPage();
    expect(page.id).not.toBe("");
    await expectRefused(
      "ERR_NAMESPACE",
      { age_over_18: true },
      { namespace: "eu.europa.ec.eudi.pid.1" },
      {
        namespace: "eu.europa.ec.eudi.pid.1",
      },
    );
  });

  it("refuses a device signature by another key than the attested one", async () => {
    const other = await createDeviceKey();
    await expectRefused("ERR_DEVICE_SIGNATURE", ADULT, {}, { signWith: other.privateJwk });
  });

  it("refuses an attestation whose signer does not chain to a trusted IACA", async () => {
    await expectRefused("ERR_ISSUER_UNTRUSTED", ADULT, {}, {}, stranger);
  });

  it("refuses a replayed response: same state (used), or replayed into a new request (nonce differs)", async () => {
    const page = await openVerifyPage();
    const { device, mdoc } = await attestation(ADULT);
    const first = await answerRequest(page.requestUri, mdoc, device);
    expect(first.status).toBe(200);
    const replay = await fetch(`${provider.localUrl}/response`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: first.form,
    });
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ error: { code: "ERR_SESSION_USED" } });

    const next = await openVerifyPage();
    const moved = new URLSearchParams(first.form);
    moved.set("state", next.id);
    const res = await fetch(`${provider.localUrl}/response`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: moved,
    });
    expect(await res.json()).toMatchObject({ error: { code: "ERR_DEVICE_SIGNATURE" } });
    expect((await poll(next)).body.message).toMatchObject({ code: "ERR_DEVICE_SIGNATURE" });
  });

  it("the Digital Credentials API answer (origin-bound transcript) gives a grant at once", async () => {
    const page = await openVerifyPage();
    expect(page.dcApi.protocol).toBe("openid4vp-v1-unsigned");
    const { device, mdoc } = await attestation(ADULT);
    const post = (origin: string) =>
      dcApiVpToken(origin, page.dcApi.data.nonce, mdoc, device).then((vp_token) =>
        fetch(`${provider.localUrl}/dc-api`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            id: page.id,
            secret: page.secret,
            protocol: page.dcApi.protocol,
            data: { vp_token },
          }),
        }),
      );
    const res = await post(new URL(provider.url).origin);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Answer;
    expect(decodeJwt(body.message.grant).age_over).toBe(18);

    // signed for another origin: refused
    const other = await openVerifyPage();
    const forged = await dcApiVpToken("https://evil.example", other.dcApi.data.nonce, mdoc, device);
    const res2 = await fetch(`${provider.localUrl}/dc-api`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id: other.id,
        secret: other.secret,
        protocol: other.dcApi.protocol,
        data: { vp_token: forged },
      }),
    });
    expect((await res2.json()).message).toMatchObject({
      type: "blindgate:grant-error",
      code: "ERR_DEVICE_SIGNATURE",
    });
  });

  it("one request, three ways: av:// and openid4vp:// by value, and openid4vp:// by reference (request_uri)", async () => {
    const page = await openVerifyPage();
    const { av, openid4vp, byReference, crossDevice } = page.links;
    expect(av.startsWith("av://?")).toBe(true);
    expect(av.slice("av://".length)).toBe(openid4vp.slice("openid4vp://".length));
    const byValue = Object.fromEntries(new URL(openid4vp).searchParams);
    expect(byValue.state).toBe(page.id);

    const ref = new URL(byReference).searchParams;
    expect([...ref.keys()].sort()).toEqual(["client_id", "request_uri"]);
    expect(ref.get("client_id")).toBe(byValue.client_id);
    const object = await fetch((ref.get("request_uri") ?? "").replace(provider.url, provider.localUrl));
    expect(object.status).toBe(200);
    expect(object.headers.get("content-type")).toBe("application/oauth-authz-req+jwt");
    const jwt = await object.text();
    const [header, payload, signature] = jwt.split(".");
    expect(JSON.parse(Buffer.from(header ?? "", "base64url").toString())).toEqual({
      alg: "none",
      typ: "oauth-authz-req+jwt",
    });
    expect(signature).toBe("");
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString()) as Record<string, unknown>;
    for (const [k, v] of Object.entries(byValue)) {
      expect(typeof claims[k] === "string" ? claims[k] : JSON.stringify(claims[k])).toBe(v);
    }

    // the QR code's short link sends a phone's browser on to the av:// request, by value
    expect(crossDevice).toBe(`${provider.url}/r/${page.id}`);
    const hop = await fetch(crossDevice.replace(provider.url, provider.localUrl), { redirect: "manual" });
    expect(hop.status).toBe(303);
    expect(hop.headers.get("location")).toBe(av);
    expect(page.qr.version).toBeLessThanOrEqual(4);

    // answered: the link and the request object are gone
    const { device, mdoc } = await attestation(ADULT);
    expect((await answerRequest(page.requestUri, mdoc, device)).status).toBe(200);
    const after = await fetch(crossDevice.replace(provider.url, provider.localUrl), { redirect: "manual" });
    expect(after.status).toBe(409);
    expect(after.headers.get("content-type")).toContain("text/html");
    const gone = await fetch((ref.get("request_uri") ?? "").replace(provider.url, provider.localUrl));
    expect(gone.headers.get("x-error-code")).toBe("ERR_SESSION_USED");
  });

  it("GET /verify opens no session; POST /session is limited per address (429, Retry-After)", async () => {
    const limited = await startEuAvProvider({
      host: "127.0.0.1",
      gatewayIssuer: GATEWAY,
      walletOrigin: WALLET,
      trustedIacas: [(await createTestIaca()).pem],
      sessionsPerMinute: 3,
    });
    try {
      const state = "abcdefghijkl";
      for (let i = 0; i < 40; i++) {
        const res = await fetch(
          `${limited.localUrl}/verify?wallet_origin=${encodeURIComponent(WALLET)}&state=${state}`,
        );
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      const post = () =>
        fetch(`${limited.localUrl}/session`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ wallet_origin: WALLET, state }),
        });
      for (let i = 0; i < 3; i++) expect((await post()).status).toBe(200);
      const over = await post();
      expect(over.status).toBe(429);
      expect(over.headers.get("x-error-code")).toBe("ERR_RATE_LIMITED");
      expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });

  it("serves only its wallets, and only the page that started a session may collect it", async () => {
    const res = await fetch(
      `${provider.localUrl}/verify?wallet_origin=https%3A%2F%2Fevil.example&state=abcdefghij`,
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("x-error-code")).toBe("ERR_WALLET_ORIGIN");
    const session = await openSession("abcdefghij", "https://evil.example");
    expect(session).toMatchObject({ status: 400, body: { error: { code: "ERR_WALLET_ORIGIN" } } });
    const page = await openVerifyPage();
    const wrong = await poll({ id: page.id, secret: "A".repeat(22) });
    expect(wrong).toMatchObject({ status: 404, body: { error: { code: "ERR_SESSION_UNKNOWN" } } });
  });

  it("property: garbage to every route is a 4xx with a stable code, never a 5xx", async () => {
    const routes = [
      "/verify",
      "/session",
      "/response",
      "/result",
      "/dc-api",
      "/nope",
      "/jwks.json",
      "/r/AAAAAAAAAAAAAAAAAAAAAA",
      "/request/AAAAAAAAAAAAAAAAAAAAAA",
      "/r/",
      "/request/x",
    ];
    const types = ["application/json", "application/x-www-form-urlencoded", "text/plain", ""];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.constantFrom("GET", "POST", "PUT"),
        fc.constantFrom(...types),
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.json().map((j) => j),
          fc
            .dictionary(
              fc.constantFrom("vp_token", "state", "id", "secret", "x", "error", "error_description"),
              fc.string({ maxLength: 80 }),
            )
            .map((d) => new URLSearchParams(d).toString()),
          fc
            .dictionary(
              fc.constantFrom("vp_token", "id", "secret", "protocol", "data", "wallet_origin", "state"),
              fc.jsonValue(),
            )
            .map((d) => JSON.stringify(d)),
        ),
        fc.string({ maxLength: 40 }),
        async (route, method, type, body, query) => {
          const res = await fetch(
            `${provider.localUrl}${route}?${new URLSearchParams({ q: query, state: query })}`,
            {
              method,
              headers: type === "" ? {} : { "content-type": type },
              ...(method === "GET" ? {} : { body }),
            },
          );
          const ok =
            method === "GET" && (route === "/jwks.json" || route === "/verify") && res.status === 200;
          if (!ok) {
            expect(res.status).toBeGreaterThanOrEqual(400);
            expect(res.status).toBeLessThan(500);
            expect(res.headers.get("x-error-code")).toMatch(/^ERR_[A-Z_]+$/);
          }
          await res.arrayBuffer();
        },
      ),
      { numRuns: 150 },
    );
  });

  it("property: garbage DC API answers to live sessions, either protocol: a 4xx, or the session refused with a code", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("org-iso-mdoc", "openid4vp-v1-unsigned", "other"),
        fc.oneof(
          fc.jsonValue(),
          fc.record({ response: fc.string({ maxLength: 200 }) }),
          fc.record({
            response: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("base64url")),
          }),
          fc.record({ vp_token: fc.dictionary(fc.constantFrom("av", "x"), fc.string({ maxLength: 100 })) }),
        ),
        async (protocol, data) => {
          const page = await openVerifyPage();
          const res = await fetch(`${provider.localUrl}/dc-api`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ id: page.id, secret: page.secret, protocol, data }),
          });
          const body = (await res.json()) as Answer;
          if (res.status === 200) {
            expect(body.message.type).toBe("blindgate:grant-error");
            expect(body.message.code).toMatch(/^ERR_[A-Z_]+$/);
          } else {
            expect(res.status).toBeGreaterThanOrEqual(400);
            expect(res.status).toBeLessThan(500);
            expect(res.headers.get("x-error-code")).toMatch(/^ERR_[A-Z_]+$/);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("learns nothing about any site: requests carry the wallet origin and state only", () => {
    expect(log.length).toBeGreaterThan(10);
    for (const r of log) {
      expect(`${r.url} ${r.body}`).not.toMatch(/site|referer/i);
    }
  });
});

describe("minors' attestations: a band asked for by the wallet", () => {
  async function openBand(band: string) {
    const state = crypto.randomUUID().replace(/-/g, "");
    const page = await fetch(
      `${provider.localUrl}/verify?wallet_origin=${encodeURIComponent(WALLET)}&state=${state}&band=${band}`,
    );
    const html = await page.text();
    expect(html).toContain(`data-band="${band}"`);
    const res = await fetch(`${provider.localUrl}/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ wallet_origin: WALLET, state, band }),
    });
    return {
      status: res.status,
      state,
      body: (await res.json()) as SessionAnswer & { error?: { code: string } },
    };
  }

  it("asks for exactly the band's two bounds, in both the OpenID4VP and the Annex C requests", async () => {
    const { body } = await openBand("13-16");
    const dcql = JSON.parse(new URL(body.links.openid4vp).searchParams.get("dcql_query") ?? "{}");
    const claims = dcql.credentials[0].claims.map((c: { path: string[] }) => c.path[1]).sort();
    expect(claims).toEqual(["age_over_13", "age_over_16"]);
    expect(dcql.credentials[0].claim_sets).toEqual([["age_over_16", "age_over_13"]]);
    const iso = body.dcApi.find((r) => r.protocol === "org-iso-mdoc")?.data as { deviceRequest: string };
    const asked = DeviceRequest.parse(Buffer.from(iso.deviceRequest, "base64url"));
    const names = [
      ...(asked.docRequests[0]?.itemsRequest.data.nameSpaces.get("eu.europa.ec.av.1")?.keys() ?? []),
    ];
    expect(names.sort()).toEqual(["age_over_13", "age_over_16"]);
  });

  it("a 15-year-old (age_over_13 true, age_over_16 false) is verified; only the two bounds are disclosed", async () => {
    const { body } = await openBand("13-16");
    const validUntil = new Date(Date.UTC(2030, 0, 2, 17, 30));
    const { device, mdoc } = await attestation(
      { age_over_13: true, age_over_15: true, age_over_16: false, age_over_18: false },
      { validUntil },
    );
    const answer = await answerRequest(body.links.openid4vp, mdoc, device);
    expect(answer.status).toBe(200);
    const result = await poll({ id: body.id, secret: body.secret });
    expect(result.body.message.type).toBe("blindgate:grant");
    const claims = decodeJwt(result.body.message.grant);
    expect(claims.age_over).toBe(13);
    expect(claims.age_below).toBe(16);
    // below_until: the MSO's validUntil, floored to a UTC midnight and capped 35 days ahead
    const belowUntil = claims.below_until as number;
    const issuedAt = claims.iat as number;
    expect(belowUntil % 86_400).toBe(0);
    expect(belowUntil).toBeGreaterThan(issuedAt);
    expect(belowUntil).toBeLessThanOrEqual(issuedAt + 35 * 86_400);
  });

  it("refuses an attestation that proves neither bound, and one under the band", async () => {
    const neither = await openBand("13-16");
    const adultOnly = await attestation({ age_over_18: true });
    const a = await answerRequest(neither.body.links.openid4vp, adultOnly.mdoc, adultOnly.device, {
      elements: ["age_over_18"],
    });
    expect(a.body).toMatchObject({ error: { code: "ERR_AGE_CLAIMS" } });
    const under = await openBand("13-16");
    const child = await attestation({ age_over_13: false, age_over_16: false });
    const b = await answerRequest(under.body.links.openid4vp, child.mdoc, child.device);
    expect(b.body).toMatchObject({ error: { code: "ERR_UNDER_AGE" } });
  });

  it("a band this provider does not attest is ERR_BAND", async () => {
    const { status, body } = await openBand("14-15");
    expect(status).toBe(400);
    expect(body.error?.code).toBe("ERR_BAND");
  });
});
