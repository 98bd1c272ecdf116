// The test wallet's server loads reflect-metadata (for @peculiar/x509): first, so the tests' stand-in steps aside.
import "reflect-metadata";
import { mkdir } from "node:fs/promises";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../../demo/http.js";
import { type DemoSite, startDemoSite } from "../../demo/site/server.js";
import { type LocalGateway, startLocalGateway } from "../../functions/local/gateway.js";
import { type EuAvProvider, startEuAvProvider } from "../../providers/eu-av/local.js";
import { startTestWallet, type TestWallet } from "../../providers/eu-av/test-wallet/server.js";
import { launchChromium, SHOTS, shot } from "./support.js";

/*
 * The whole flow in real Chromium with the EU age-verification provider and the local TEST wallet npm start runs
 * (providers/eu-av/test-wallet): the site asks for an age, the wallet has no token and offers the EU AV provider,
 * whose page offers its request; the test wallet answers it, on this device (the page's link) or on another one
 * (a second browser context opening the QR code's link), as the adult or the 15-year-old, or declines; the page
 * hands the grant (or the refusal) to the wallet, the wallet gets tokens and passes one to the site. The
 * provider's request log shows it never learns the site.
 */

process.env.BLINDGATE_QUIET = "1";
const NAME = "EU age verification (mdoc)";

let gateway: LocalGateway;
let provider: EuAvProvider;
let testWallet: TestWallet;
let site: DemoSite;
let browser: Browser;
const providerLog: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];
const siteLog: RecordedRequest[] = [];

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  testWallet = await startTestWallet({ host: "eu-av-wallet.localhost" });
  gateway = await startLocalGateway({ publicHost: "gateway.localhost" });
  provider = await startEuAvProvider({
    host: "eu-av.localhost",
    gatewayIssuer: gateway.issuerName,
    walletOrigin: new URL(gateway.url).origin,
    trustedIacas: [testWallet.iacaPem],
    testWalletUrl: testWallet.url,
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
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await provider?.close();
  await testWallet?.close();
  await gateway?.close();
});

/** Site page → wallet → the EU AV provider's page (the wallet's provider button); returns the three pages. */
async function toProviderPage(context: BrowserContext, path: string) {
  const page = await context.newPage();
  await page.goto(`${site.url}${path}`);
  const walletPromise = context.waitForEvent("page");
  await page.click("[data-prove], [part=prove-button]");
  const wallet = await walletPromise;
  await wallet.waitForSelector("[data-provider-id]", { timeout: 60_000 });
  const providerPromise = context.waitForEvent("page");
  await wallet.click(`[data-provider-id="${provider.providerId}"]`);
  const providerPage = await providerPromise;
  await providerPage.waitForSelector("#eu-av[data-ready=true]");
  return { page, wallet, providerPage };
}

/** The wallet's consent, then the site's answer. */
async function confirmAndLearn(wallet: Page, page: Page): Promise<string> {
  const confirm = await wallet.waitForSelector("#wallet-confirm:not([disabled])", { timeout: 90_000 });
  await confirm.click();
  await page.waitForSelector("#learned", { timeout: 90_000 });
  return (await page.textContent("#learned")) ?? "";
}

describe("EU AV provider in Chromium, with the local test wallet", () => {
  it("same device, the adult: the page's test-wallet link, shared, a grant, tokens, the adult room", async () => {
    const context = await browser.newContext();
    const { page, wallet, providerPage } = await toProviderPage(context, "/adults");
    await shot(providerPage, "eu-av-provider");
    expect(await providerPage.getAttribute("#eu-av-same-device", "href")).toMatch(/^av:\/\/\?/);
    expect(await providerPage.getAttribute("#eu-av-openid4vp", "href")).toMatch(/^openid4vp:\/\/\?/);
    expect(Number(await providerPage.getAttribute("#eu-av-qr", "data-version"))).toBeLessThanOrEqual(4);

    const walletAppPromise = context.waitForEvent("page");
    await providerPage.click("#eu-av-test-wallet");
    const walletApp = await walletAppPromise;
    await walletApp.waitForSelector("#test-wallet-banner");
    expect(await walletApp.textContent("#test-wallet-banner")).toContain("TEST");
    expect(await walletApp.inputValue("#test-wallet-request")).toMatch(/^av:\/\/\?/);
    await shot(walletApp, "eu-av-test-wallet");
    await walletApp.click("#test-wallet-adult");
    await walletApp.waitForSelector("#test-wallet-status[data-result=sent]");

    expect(await confirmAndLearn(wallet, page)).toContain("over 18");
    await shot(page, "eu-av-adult-room");
    await context.close();
  });

  it("another device, the 15-year-old: the QR code's link opened in a second browser, a grant, the teen room", async () => {
    const context = await browser.newContext();
    const { page, wallet, providerPage } = await toProviderPage(context, "/lobby");
    const link = (await providerPage.getAttribute("#eu-av", "data-cross-device")) ?? "";
    expect(link).toMatch(/\/r\/[A-Za-z0-9_-]{22}$/);

    // the phone: another browser context, which shares nothing with the first
    const phone = await browser.newContext();
    const app = await phone.newPage();
    await app.goto(`${testWallet.url}/?request=${encodeURIComponent(link)}`);
    await app.click("#test-wallet-teen");
    await app.waitForSelector("#test-wallet-status[data-result=sent]");
    await phone.close();

    expect(await confirmAndLearn(wallet, page)).toContain("over 13");
    await context.close();
  });

  it("the Digital Credentials API (org-iso-mdoc): the browser's credential manager hands the request to the test wallet", async () => {
    const context = await browser.newContext();
    // Chromium lets no web page act as a credential provider: a stand-in navigator.credentials.get on the
    // provider's origin forwards the page's requests (and its origin, as the browser would) to the test wallet.
    await context.exposeFunction("testWalletDcApi", async (origin: string, requests: unknown) => {
      const res = await fetch(`${testWallet.localUrl}/dc-api`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ origin, persona: "adult", requests }),
      });
      return res.json();
    });
    await context.addInitScript((providerOrigin: string) => {
      if (location.origin !== providerOrigin) return;
      const w = window as unknown as Record<string, unknown>;
      w.DigitalCredential = class {};
      const call = w.testWalletDcApi as (origin: string, requests: unknown) => Promise<unknown>;
      navigator.credentials.get = (async (options: { digital: { requests: unknown } }) =>
        call(location.origin, options.digital.requests)) as typeof navigator.credentials.get;
    }, new URL(provider.url).origin);
    const { page, wallet, providerPage } = await toProviderPage(context, "/adults");
    await providerPage.click("#eu-av-dc-api");
    expect(await confirmAndLearn(wallet, page)).toContain("over 18");
    await context.close();
  });

  it("a decline in the app: the provider page says so at once, in words, and no grant is made", async () => {
    const context = await browser.newContext({ locale: "fr-FR" });
    const { providerPage } = await toProviderPage(context, "/adults");
    const walletAppPromise = context.waitForEvent("page");
    await providerPage.click("#eu-av-test-wallet");
    const walletApp = await walletAppPromise;
    await walletApp.click("#test-wallet-decline");
    await walletApp.waitForSelector("#test-wallet-status[data-result=declined]");
    const status = await providerPage.waitForSelector("#eu-av-status[data-result=ERR_WALLET_DECLINED]", {
      timeout: 10_000,
    });
    expect(await status.textContent()).toContain("Vous avez refusé");
    expect(await status.textContent()).toContain("ERR_WALLET_DECLINED");
    await context.close();
  });

  it("the provider learns nothing about the site", () => {
    expect(providerLog.length).toBeGreaterThan(3);
    expect(providerLog.some((r) => r.url.startsWith("/verify?"))).toBe(true);
    expect(providerLog.some((r) => r.url === "/response")).toBe(true);
    expect(providerLog.some((r) => r.url === "/session")).toBe(true);
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
    const query = new URL(verify?.url ?? "/", "http://x").searchParams;
    expect([...query.keys()].sort()).toEqual(["state", "wallet_origin", "wallet_return"]);
    // where to send the person back: the wallet's own return page, on the wallet's origin
    expect(query.get("wallet_return")).toBe(`${gateway.walletUrl.replace(/\/?$/, "/")}return.html`);
  });
});
