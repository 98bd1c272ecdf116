import "../support/reflect-metadata.js";
import { mkdir } from "node:fs/promises";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../../demo/http.js";
import { type DemoSite, startDemoSite } from "../../demo/site/server.js";
import { type LocalGateway, startLocalGateway } from "../../functions/local/gateway.js";
import { type EuAvProvider, startEuAvProvider } from "../../providers/eu-av/local.js";
import {
  answerRequest,
  createDeviceKey,
  createDocumentSigner,
  createTestIaca,
  issueAttestation,
} from "../support/eu-av-holder.js";
import { SHOTS, shot } from "./support.js";

/*
 * The whole flow in real Chromium with the EU age-verification provider: the site asks for "over 18", the wallet
 * has no token and offers the EU AV provider, whose page shows an OpenID4VP request; a holder in Node (a wallet app
 * on another device) answers it with an attestation from a test issuer; the page hands the grant to the wallet,
 * the wallet gets tokens from the gateway and passes one to the site. The provider's request log shows it never
 * learns the site.
 */

process.env.BLINDGATE_QUIET = "1";
const NAME = "EU age verification (mdoc)";

let gateway: LocalGateway;
let provider: EuAvProvider;
let site: DemoSite;
let browser: Browser;
const providerLog: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];
const siteLog: RecordedRequest[] = [];

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  const iaca = await createTestIaca();
  gateway = await startLocalGateway({ publicHost: "gateway.localhost" });
  provider = await startEuAvProvider({
    host: "eu-av.localhost",
    gatewayIssuer: gateway.issuerName,
    walletOrigin: new URL(gateway.url).origin,
    trustedIacas: [iaca.pem],
    onRequest: (r) => providerLog.push(r),
  });
  await gateway.addProvider({
    id: provider.providerId,
    name: NAME,
    verifyUrl: provider.verifyUrl,
    jwks: provider.jwks,
  });
  const siteKey = (await gateway.addSite("Demo site")).apiKey;
  site = await startDemoSite({
    gatewayUrl: gateway.localUrl,
    issuerName: gateway.issuerName,
    siteKey,
    walletUrl: gateway.walletUrl,
    record: (r) => siteLog.push(r),
    publicHost: "site.localhost",
  });
  signer = await createDocumentSigner(iaca);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--host-resolver-rules=MAP *.localhost 127.0.0.1",
    ],
  });
});

let signer: Awaited<ReturnType<typeof createDocumentSigner>>;

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await provider?.close();
  await gateway?.close();
});

describe("EU AV provider in Chromium", () => {
  it("site -> wallet -> EU AV provider (holder on another device) -> grant -> tokens -> site passes", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${site.url}/adult`);

    const walletPromise = context.waitForEvent("page");
    await page.click("[data-prove], [part=prove-button]");
    const wallet = await walletPromise;
    await wallet.waitForSelector("[data-provider-id]", { timeout: 60_000 });
    const providerPromise = context.waitForEvent("page");
    await wallet.click(`[data-provider-id="${provider.providerId}"]`);
    const providerPage = await providerPromise;
    await providerPage.waitForSelector("#eu-av[data-ready=true]");
    await shot(providerPage, "eu-av-provider");
    expect(await providerPage.getAttribute("#eu-av-same-device", "href")).toMatch(/^av:\/\/\?/);

    // the holder's app, on another device, reads the request shown (by reference) and answers it
    const requestUri = await providerPage.inputValue("#eu-av-request");
    const device = await createDeviceKey();
    const mdoc = await issueAttestation(signer, {
      device,
      claims: { age_over_13: true, age_over_16: true, age_over_18: true, age_over_21: false },
    });
    expect(requestUri).toMatch(/^openid4vp:\/\/\?client_id=.*&request_uri=/);
    const answer = await answerRequest(requestUri, mdoc, device, {
      fetch: (url, init) => fetch(String(url).replace(provider.url, provider.localUrl), init),
    });
    expect(answer.status).toBe(200);

    const confirm = await wallet.waitForSelector("#wallet-confirm:not([disabled])", { timeout: 90_000 });
    await shot(wallet, "eu-av-wallet-confirm");
    await confirm.click();
    await page.waitForSelector("#learned", { timeout: 90_000 });
    expect(await page.textContent("#learned")).toContain("over 18");
    await shot(page, "eu-av-adult-room");
    await context.close();
  });

  it("the provider learns nothing about the site", () => {
    expect(providerLog.length).toBeGreaterThan(3);
    expect(providerLog.some((r) => r.url.startsWith("/verify?"))).toBe(true);
    expect(providerLog.some((r) => r.url === "/response")).toBe(true);
    expect(siteLog.length).toBeGreaterThan(0);
    const siteHost = new URL(site.url).host;
    const sitePort = new URL(site.url).port;
    for (const r of providerLog) {
      const text = `${r.method} ${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`;
      for (const leak of ["site.localhost", siteHost, `:${sitePort}`, "/adult", "blindgate/proof"]) {
        expect(text, `provider request leaks ${leak}`).not.toContain(leak);
      }
      expect(r.headers.cookie, "provider received a cookie").toBeUndefined();
      expect(r.headers.referer === undefined || !String(r.headers.referer).includes(siteHost)).toBe(true);
    }
    const verify = providerLog.find((r) => r.url.startsWith("/verify?"));
    const params = [...new URL(verify?.url ?? "/", "http://x").searchParams.keys()].sort();
    expect(params).toEqual(["state", "wallet_origin"]);
  });
});
