import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { GatewayClient } from "@blindgate/sdk/client";
import {
  beginIssuance,
  decodeBatchResponse,
  encodeBatchRequest,
  finishIssuance,
  parseWwwAuthenticate,
  TokenChallenge,
  TokenResponse,
  toBase64Url,
} from "@blindgate/sdk/protocol";
import { exportGrantJwks, generateGrantKey } from "@blindgate/sdk/provider";
import { serve } from "@hono/node-server";
import { NextRequest } from "next/server.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp as createExpressApp, type SiteConfig } from "../../../examples/express/app.js";
import { createApp as createFastifyApp } from "../../../examples/fastify/app.js";
import { createApp as createHonoApp } from "../../../examples/hono/app.js";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { makeGrant, registerProvider, type TestProvider } from "../gateway/client.js";

/*
 * The examples/ sites, run against the local gateway (the code `npm start` runs: the Lambda handlers on dynalite),
 * with real tokens issued by it: each site refuses without a proof (the 401 challenge, the refusal page with the
 * prebuilt browser module), accepts a proof at its one proof endpoint, and keeps its two ages apart (a 13+ proof
 * opens the lobby, not the adult room). The Next.js example is driven through its proxy and route handlers with
 * Web Request objects (NextRequest), as Next.js calls them, without a Next.js server: building one per test run
 * costs minutes of CPU for nothing the handlers do not already show.
 */

const run = promisify(execFile);
const root = new URL("../../../", import.meta.url).pathname;
const SECRET = "an-examples-test-session-secret-of-32-bytes!";

let gateway: LocalGateway;
let provider: TestProvider;
/** A provider the gateway lets attest bands (an operator's decision: who may vouch for minors). */
let teenProvider: TestProvider;
let client: GatewayClient;
let config: SiteConfig;
let bundleDir: string;
let bundle: string;

beforeAll(async () => {
  // As `npm start` runs it: the issuer name is the host of the gateway's URL, which the gate assumes by default.
  const port = await freePort();
  gateway = await startLocalGateway({ port, issuerName: `127.0.0.1:${port}`, wallet: false });
  provider = await registerProvider(gateway, "examples-prov");
  const teenKey = await generateGrantKey({ kid: "examples-teens-k1" });
  await gateway.addProvider({
    id: "examples-teens",
    name: "Provider examples-teens",
    verifyUrl: "http://127.0.0.1:9/examples-teens",
    jwks: await exportGrantJwks(teenKey),
    bands: ["13-16", "16-18", "13-18"],
  });
  teenProvider = { id: "examples-teens", key: teenKey };
  client = new GatewayClient({ url: gateway.localUrl });
  bundleDir = await mkdtemp(join(tmpdir(), "blindgate-examples-"));
  // The SDK's own build step for the prebuilt module, into a directory of this test (dist/ is the package test's).
  await run(process.execPath, [join(root, "sdk/scripts/build-browser.mjs"), "--out", bundleDir]);
  bundle = await readFile(join(bundleDir, "blindgate-browser.min.js"), "utf8");
  config = {
    gatewayUrl: gateway.localUrl,
    walletUrl: `${gateway.url}/wallet/`,
    siteKey: (await gateway.addSite("Examples")).apiKey,
    sessionSecret: SECRET,
    browserModuleFile: join(bundleDir, "blindgate-browser.min.js"),
  };
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await rm(bundleDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A fresh token of the gateway's current key for `age` (a threshold, or a band { from, below }), issued for a grant
 * as a wallet gets it: an adult's grant for thresholds, a 15-year-old's (below 16 for a month) for bands.
 */
async function token(age: number | { from: number; below: number }): Promise<string> {
  const { directory } = await client.directory();
  const now = gateway.deps.now();
  const [from, below] = typeof age === "number" ? [age, undefined] : [age.from, age.below];
  const key = directory.tokenKeys.find(
    (k) => k.ageOver === from && k.ageBelow === below && (k.notBefore ?? 0) <= now,
  );
  if (key === undefined) throw new Error(`no current key for ${from}-${below ?? ""}`);
  const begun = await beginIssuance({
    challenge: TokenChallenge.crossOrigin(gateway.issuerName).encode(),
    tokenKey: key.tokenKey,
  });
  const day = Math.floor(now / 86_400) * 86_400;
  const grant =
    below === undefined
      ? await makeGrant(gateway, provider, { age_over: 21, max_tokens: 1 })
      : await makeGrant(gateway, teenProvider, {
          age_over: 15,
          age_below: 16,
          below_until: day + 30 * 86_400,
          max_tokens: 1,
        });
  const answer = await client.issue({
    grant,
    batch: encodeBatchRequest([{ tokenType: 2, request: begun.request.encode() }]),
  });
  const [item] = decodeBatchResponse(answer.body);
  if (item === null || item === undefined) throw new Error("not signed");
  return toBase64Url((await finishIssuance(begun.pending, TokenResponse.decode(item.response))).encode());
}

const PROOF_PATH = "/.well-known/blindgate/proof";

async function tokenKeyPinned(response: Response): Promise<number | undefined> {
  const [challenge] = parseWwwAuthenticate(response.headers.get("WWW-Authenticate") ?? "");
  const { directory } = await client.directory();
  return directory.tokenKeys.find(
    (k) => challenge !== undefined && Buffer.from(k.tokenKey).equals(Buffer.from(challenge.tokenKey)),
  )?.ageOver;
}

interface Running {
  url: string;
  close(): Promise<void>;
}

const sites: Record<string, () => Promise<Running>> = {
  express: async () => {
    const server = createExpressApp(config).listen(0, "127.0.0.1");
    await once(server, "listening");
    return served(server);
  },
  hono: async () => {
    const server = serve({ fetch: createHonoApp(config).fetch, port: 0, hostname: "127.0.0.1" });
    await once(server, "listening");
    return served(server as Server);
  },
  fastify: async () => {
    const app = createFastifyApp(config);
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    return { url, close: () => app.close() };
  },
};

function served(server: Server): Running {
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.each(Object.keys(sites))("examples/%s", (name) => {
  let site: Running;
  beforeAll(async () => {
    site = await sites[name]!();
  });
  afterAll(async () => {
    await site?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${site.url}${path}`, { headers });
  const prove = (tokenText: string) =>
    fetch(`${site.url}${PROOF_PATH}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: tokenText }),
    });
  const cookieOf = (response: Response) => (response.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";

  it("refuses without a proof: the 401 challenge pins each room's key", async () => {
    const lobby = await get("/", { Accept: "application/json" });
    expect(lobby.status).toBe(401);
    expect(await tokenKeyPinned(lobby)).toBe(13);
    const adults = await get("/adults", { Accept: "application/json" });
    expect(adults.status).toBe(401);
    expect(await tokenKeyPinned(adults)).toBe(18);
    expect(await adults.json()).toMatchObject({ error: { code: "ERR_AGE_REQUIRED" } });
  });

  it("shows a browser the refusal page, which loads the prebuilt module the site serves", async () => {
    const page = await get("/adults", { Accept: "text/html" });
    expect(page.status).toBe(401);
    const html = await page.text();
    expect(html).toContain("This page is for people aged 18 or over");
    expect(html).toContain('from "/blindgate.js"');
    const module = await get("/blindgate.js");
    expect(module.status).toBe(200);
    expect(module.headers.get("content-type")).toMatch(/javascript/);
    expect(await module.text()).toBe(bundle);
  });

  it("a 13+ proof opens the lobby and not the adult room; an 18+ proof opens both; a token works once", async () => {
    const teen = await prove(await token(13));
    expect(teen.status).toBe(200);
    expect(await teen.clone().json()).toEqual({ ok: true, ageOver: 13 });
    const teenCookie = cookieOf(teen);
    const lobby = await get("/", { Cookie: teenCookie });
    expect(lobby.status).toBe(200);
    expect(await lobby.text()).toContain("13 or over");
    expect((await get("/adults", { Cookie: teenCookie, Accept: "application/json" })).status).toBe(401);

    const adultToken = await token(18);
    const adult = await prove(adultToken);
    const adultCookie = cookieOf(adult);
    const room = await get("/adults", { Cookie: adultCookie });
    expect(room.status).toBe(200);
    expect(await room.text()).toContain("18 or over");
    expect((await get("/", { Cookie: adultCookie })).status).toBe(200);

    const replay = await prove(adultToken);
    expect(replay.status).toBe(403);
    expect(await replay.json()).toMatchObject({ error: { code: "ERR_TOKEN_REJECTED" } });
  });

  it("the teens' room opens for a band token, never for a threshold token, and tells an adult why", async () => {
    const teen = await prove(await token({ from: 13, below: 18 }));
    expect(await teen.clone().json()).toEqual({ ok: true, ageOver: 13, ageBelow: 18 });
    const teenCookie = cookieOf(teen);
    const room = await get("/teens", { Cookie: teenCookie });
    expect(room.status).toBe(200);
    expect(await room.text()).toContain("13 to 17");
    expect((await get("/", { Cookie: teenCookie })).status).toBe(200);
    expect((await get("/adults", { Cookie: teenCookie, Accept: "application/json" })).status).toBe(401);
    // An adult's session at the teens' room: the page says why, in words, and offers no button.
    const adultCookie = cookieOf(await prove(await token(18)));
    const refused = await get("/teens", { Cookie: adultCookie, Accept: "text/html" });
    expect(refused.status).toBe(401);
    const words = await refused.text();
    expect(words).toContain("only for people aged 13 to 17");
    expect(words).toContain("18 or over");
    expect(words).not.toContain("<button");
    // A threshold token proves no upper age: refused, and not spent.
    const threshold = await token(13);
    const answer = await fetch(`${site.url}/teens`, {
      headers: { Authorization: `PrivateToken token="${threshold}"` },
    });
    expect(await answer.json()).toMatchObject({ error: { code: "ERR_OUTSIDE_BAND" } });
    expect((await prove(threshold)).status).toBe(200);
  });

  it("takes a plain Privacy Pass token in Authorization, and sets the session with the answer", async () => {
    const response = await get("/adults", { Authorization: `PrivateToken token="${await token(21)}"` });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("21 or over");
    expect(response.headers.getSetCookie()).toHaveLength(1);
  });
});

describe("examples/nextjs (proxy and route handlers, as Next.js calls them)", () => {
  let next: {
    proxy: (request: NextRequest) => Promise<Response>;
    proof: (request: Request) => Promise<Response>;
    api: (request: Request) => Promise<Response>;
  };
  const SITE = "http://localhost:3000";

  beforeAll(async () => {
    // lib/age-gate.ts reads its configuration from the environment, as a Next.js app does.
    Object.assign(process.env, {
      BLINDGATE_URL: config.gatewayUrl,
      BLINDGATE_WALLET_URL: config.walletUrl,
      BLINDGATE_SITE_KEY: config.siteKey,
      AGE_SESSION_SECRET: SECRET,
    });
    const proxyModule = await import("../../../examples/nextjs/proxy.js");
    const proofRoute = await import("../../../examples/nextjs/app/.well-known/blindgate/proof/route.js");
    const apiRoute = await import("../../../examples/nextjs/app/api/adults/route.js");
    next = { proxy: proxyModule.proxy, proof: proofRoute.POST, api: apiRoute.GET };
  });

  const proof = async (tokenText: string) =>
    next.proof(
      new Request(`${SITE}${PROOF_PATH}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: tokenText }),
      }),
    );
  const cookieOf = (response: Response) => (response.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";

  it("the proxy refuses an adult page without a proof, with the refusal page for a browser", async () => {
    const refused = await next.proxy(new NextRequest(`${SITE}/adults`, { headers: { Accept: "text/html" } }));
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain("18 or over");
  });

  it("the proof route handler sets the session; the proxy lets the page render with the age proved", async () => {
    const answer = await proof(await token(18));
    expect(answer.status).toBe(200);
    const cookie = cookieOf(answer);
    const passed = await next.proxy(new NextRequest(`${SITE}/adults/room`, { headers: { Cookie: cookie } }));
    expect(passed.headers.get("x-middleware-next")).toBe("1");
    expect(passed.headers.get("x-middleware-request-x-age-over")).toBe("18");
    const api = await next.api(new Request(`${SITE}/api/adults`, { headers: { Cookie: cookie } }));
    expect(await api.json()).toEqual({ ageOver: 18 });
  });

  it("the teens' pages pass a band session with both ages, and refuse an adult's", async () => {
    const teen = cookieOf(await proof(await token({ from: 13, below: 18 })));
    const passed = await next.proxy(new NextRequest(`${SITE}/teens/chat`, { headers: { Cookie: teen } }));
    expect(passed.headers.get("x-middleware-request-x-age-over")).toBe("13");
    expect(passed.headers.get("x-middleware-request-x-age-below")).toBe("18");
    const adult = cookieOf(await proof(await token(18)));
    const refused = await next.proxy(new NextRequest(`${SITE}/teens/chat`, { headers: { Cookie: adult } }));
    expect(refused.status).toBe(401);
  });

  it("keeps the two ages apart: a 13+ session opens the lobby, not the adult pages or API", async () => {
    const cookie = cookieOf(await proof(await token(13)));
    const lobby = await next.proxy(new NextRequest(`${SITE}/`, { headers: { Cookie: cookie } }));
    expect(lobby.headers.get("x-middleware-request-x-age-over")).toBe("13");
    const adults = await next.proxy(new NextRequest(`${SITE}/adults`, { headers: { Cookie: cookie } }));
    expect(adults.status).toBe(401);
    const api = await next.api(new Request(`${SITE}/api/adults`, { headers: { Cookie: cookie } }));
    expect(api.status).toBe(401);
  });
});
