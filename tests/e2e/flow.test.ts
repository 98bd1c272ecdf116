import { mkdir } from "node:fs/promises";
import { exportGrantJwks, generateGrantKey } from "@blindgate/sdk/provider";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../../demo/http.js";
import { type DemoProvider, startDemoProvider } from "../../demo/provider/server.js";
import { type DemoSite, startDemoSite } from "../../demo/site/server.js";
import { type LocalGateway, startLocalGateway } from "../../functions/local/gateway.js";

/*
 * The whole flow in real Chromium: a person proves their age once with the demo provider, the wallet gets tokens
 * from the gateway, and the demo site lets them in knowing only "over N". Each party has its own host
 * (gateway.localhost, provider.localhost, site.localhost: Chromium maps *.localhost to loopback and treats them as
 * secure contexts), so the double-blindness checks below look for real host names, not a shared 127.0.0.1.
 */

const SHOTS = "test-results/e2e";
const PROVIDER_NAME = "Demo provider (stand-in age check)";

let gateway: LocalGateway;
let provider: DemoProvider;
let site: DemoSite;
let siteKey: string;
let browser: Browser;
let siteUrl: string;
let providerHost: string;
const providerLog: RecordedRequest[] = [];
const siteLog: RecordedRequest[] = [];
const gatewayLog: RecordedRequest[] = [];
const grantsSeen: string[] = [];

function yearsAgo(years: number, extraDays = 30): string {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  d.setUTCDate(d.getUTCDate() - extraDays);
  return d.toISOString().slice(0, 10);
}

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  gateway = await startLocalGateway({
    publicHost: "gateway.localhost",
    onRequest: (r) => gatewayLog.push({ ...r, body: "" }),
  });
  const grantKey = await generateGrantKey({ kid: "e2e-1" });
  provider = await startDemoProvider({
    providerId: "demo-provider",
    issuerName: gateway.issuerName,
    walletOrigins: [new URL(gateway.url).origin],
    grantKey,
    record: (r) => providerLog.push(r),
    publicHost: "provider.localhost",
  });
  providerHost = new URL(provider.url).host;
  await gateway.addProvider({
    id: "demo-provider",
    name: PROVIDER_NAME,
    verifyUrl: provider.verifyUrl,
    jwks: await exportGrantJwks(grantKey),
  });
  siteKey = (await gateway.addSite("Demo site")).apiKey;
  site = await startDemoSite({
    gatewayUrl: gateway.localUrl,
    issuerName: gateway.issuerName,
    siteKey,
    walletUrl: gateway.walletUrl,
    record: (r) => siteLog.push(r),
    publicHost: "site.localhost",
  });
  siteUrl = site.url;
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

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await provider?.close();
  await gateway?.close();
});

async function newPerson(): Promise<BrowserContext> {
  const context = await browser.newContext();
  context.on("response", async (response) => {
    if (!response.url().includes(providerHost) || response.request().method() !== "POST") return;
    const grant = /data-grant="([^"]+)"/.exec(await response.text().catch(() => ""))?.[1];
    if (grant !== undefined) grantsSeen.push(grant);
  });
  return context;
}

/** Click "Prove", go through the wallet (and the provider when the wallet has no token), back to the site. */
async function proveAge(page: Page, birthDate: string, shot: string): Promise<void> {
  const walletPromise = page.context().waitForEvent("page");
  await page.click("[data-prove], [part=prove-button]");
  const wallet = await walletPromise;
  await wallet.waitForLoadState();
  const first = await Promise.race([
    wallet.waitForSelector("[data-provider-id]", { timeout: 60_000 }).then(() => "providers" as const),
    wallet.waitForSelector("#wallet-confirm", { timeout: 60_000 }).then(() => "confirm" as const),
  ]);
  await wallet.screenshot({ path: `${SHOTS}/${shot}-wallet.png` });
  if (first === "providers" || (await wallet.$("[data-provider-id]")) !== null) {
    const providerPromise = page.context().waitForEvent("page");
    await wallet.click("[data-provider-id]");
    const providerPage = await providerPromise;
    await providerPage.waitForSelector("#birth-date");
    await providerPage.screenshot({ path: `${SHOTS}/${shot}-provider.png` });
    await providerPage.fill("#birth-date", birthDate);
    await providerPage.click("#provider-submit");
  }
  if (wallet.isClosed()) return;
  const confirm = await wallet
    .waitForSelector("#wallet-confirm:not([disabled])", { timeout: 90_000 })
    .catch(() => undefined);
  if (confirm !== undefined && !wallet.isClosed()) {
    await wallet.screenshot({ path: `${SHOTS}/${shot}-wallet-confirm.png` });
    // keyboard first: the confirm button has the focus, Enter sends the token
    expect(await wallet.evaluate(() => document.activeElement?.id)).toBe("wallet-confirm");
    await wallet.keyboard.press("Enter");
  }
}

function text(r: RecordedRequest): string {
  return `${r.method} ${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`;
}

describe("age gates in Chromium", () => {
  it("an adult gets tokens once and opens the 18 room, learning only 'over 18'", async () => {
    const context = await newPerson();
    const page = await context.newPage();
    await page.goto(`${siteUrl}/adult`);
    expect(await page.textContent("body")).toContain("18 or older");
    await page.screenshot({ path: `${SHOTS}/adult-locked.png` });
    await proveAge(page, yearsAgo(30), "adult");
    await page.waitForSelector("#learned", { timeout: 90_000 });
    expect(await page.textContent("#learned")).toContain("over 18");
    await page.screenshot({ path: `${SHOTS}/adult-room.png` });

    // the gated section of the mixed page, with the tokens already in the wallet
    await context.clearCookies();
    await page.goto(`${siteUrl}/mixed`);
    await page.screenshot({ path: `${SHOTS}/mixed-locked.png` });
    expect(await page.$("#adult-section")).toBeNull();
    await proveAge(page, yearsAgo(30), "mixed");
    await page.waitForSelector("#adult-section", { timeout: 90_000 });
    expect(await page.textContent("#adult-section")).toContain("over 18");
    await page.screenshot({ path: `${SHOTS}/mixed-open.png` });
    await context.close();
  });

  it("a 15-year-old passes the 13 gate and is refused at 18", async () => {
    const context = await newPerson();
    const page = await context.newPage();
    await page.goto(`${siteUrl}/teen`);
    await proveAge(page, yearsAgo(15), "teen");
    await page.waitForSelector("#learned", { timeout: 90_000 });
    expect(await page.textContent("#learned")).toContain("over 13");
    await page.screenshot({ path: `${SHOTS}/teen-room.png` });

    await page.goto(`${siteUrl}/adult`);
    await proveAge(page, yearsAgo(15), "teen-at-adult").catch(() => undefined);
    await page.waitForFunction(
      () => (document.getElementById("prove-status")?.textContent ?? "").startsWith("Not proven"),
      null,
      {
        timeout: 90_000,
      },
    );
    expect(await page.$("#learned")).toBeNull();
    expect(await page.textContent("#prove-status")).toContain("UNDER_AGE");
    await page.screenshot({ path: `${SHOTS}/teen-refused-at-adult.png` });
    const again = await page.goto(`${siteUrl}/adult`);
    expect(again?.status()).toBe(401);
    expect(again?.headers()["www-authenticate"]).toMatch(/^PrivateToken /);
    await context.close();
  });

  it("the wallet speaks French to a French browser", async () => {
    const context = await browser.newContext({ locale: "fr-FR" });
    const page = await context.newPage();
    await page.goto(gateway.walletUrl);
    await page.waitForFunction(() => document.documentElement.lang === "fr");
    expect(await page.textContent("#wallet-title")).toBe("Portefeuille blindgate");
    expect(await page.textContent("#wallet-tokens-title")).toBe("Jetons dans ce navigateur");
    expect(await page.textContent("#wallet-intro")).toContain("jamais qui vous êtes");
    await page.screenshot({ path: `${SHOTS}/wallet-fr.png` });
    await context.close();
  });

  it("a replayed token is refused, and a second proof uses another token", async () => {
    const proofs = siteLog.filter(
      (r) => r.method === "POST" && r.url.startsWith("/.well-known/blindgate/proof"),
    );
    expect(proofs.length).toBeGreaterThanOrEqual(2);
    const tokens = proofs.map((p) => (JSON.parse(p.body) as { token: string }).token);
    expect(new Set(tokens).size).toBe(tokens.length);
    const replay = await fetch(`${site.localUrl}/.well-known/blindgate/proof`, {
      method: "POST",
      headers: { "content-type": "application/json", "sec-fetch-site": "same-origin" },
      body: JSON.stringify({ token: tokens[0] }),
    });
    expect(replay.status).toBeGreaterThanOrEqual(400);
    expect(replay.status).toBeLessThan(500);
    const direct = await fetch(`${gateway.localUrl}/v1/check`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${siteKey}` },
      body: JSON.stringify({ token: tokens[0], minAge: 13 }),
    });
    expect(direct.status).toBe(409);
  });

  it("a 12-year-old is refused by the provider with a clear page; no grant, no token, the site learns 'not proven'", async () => {
    const issuedBefore = gatewayLog.filter((r) => r.url.startsWith("/token-request")).length;
    const context = await newPerson();
    const page = await context.newPage();
    await page.goto(`${siteUrl}/teen`);
    const walletPromise = context.waitForEvent("page");
    await page.click("[data-prove]");
    const wallet = await walletPromise;
    const providerPromise = context.waitForEvent("page");
    await wallet.click("[data-provider-id]");
    const providerPage = await providerPromise;
    await providerPage.waitForSelector("#birth-date");
    const refusal = providerPage.waitForResponse((r) => r.request().method() === "POST");
    await providerPage.fill("#birth-date", yearsAgo(12));
    await providerPage.click("#provider-submit");
    const refused = await refusal;
    expect(refused.status()).toBe(403);
    expect(await refused.text()).not.toContain("data-grant");
    // the wallet says why, then answers the site UNDER_AGE and closes
    await wallet.waitForFunction(
      () => (document.getElementById("wallet-status")?.textContent ?? "").includes("do not reach"),
      null,
      { timeout: 30_000 },
    );
    await wallet.screenshot({ path: `${SHOTS}/child-wallet.png` });
    await page.waitForFunction(
      () => (document.getElementById("prove-status")?.textContent ?? "").startsWith("Not proven"),
      null,
      {
        timeout: 30_000,
      },
    );
    const said = await page.textContent("#prove-status");
    expect(said).toContain("does not reach the age this room asks for");
    expect(said).toContain("(UNDER_AGE)");
    expect(await page.$("#learned")).toBeNull();
    await page.screenshot({ path: `${SHOTS}/child-refused-at-teen.png` });
    expect(gatewayLog.filter((r) => r.url.startsWith("/token-request")).length).toBe(issuedBefore);

    // The same refusal page, opened on its own (no wallet window to return to), stays up to be read.
    const direct = await context.newPage();
    const walletOrigin = new URL(gateway.url).origin;
    await direct.goto(
      `http://${providerHost}/verify?${new URLSearchParams({ wallet_origin: walletOrigin, state: "e2e-direct-1" })}`,
    );
    await direct.fill("#birth-date", yearsAgo(12));
    await direct.click("#provider-submit");
    await direct.waitForSelector("#refused");
    expect(await direct.textContent("#refused")).toContain("age tokens start at 13");
    expect(await direct.textContent("h1")).toContain("a stand-in for a real age check");
    await direct.screenshot({ path: `${SHOTS}/child-provider-refused.png` });
    await context.close();
  });

  it("a page that is not the wallet cannot obtain a grant from the provider", async () => {
    const context = await newPerson();
    const evilOrigin = "http://evil.localhost:4444";
    const walletOrigin = new URL(gateway.url).origin;
    const verify = (origin: string) =>
      `http://${providerHost}/verify?${new URLSearchParams({ wallet_origin: origin, state: "evil-state-123" })}`;
    await context.route(`${evilOrigin}/**`, (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<!doctype html><title>Not the wallet</title>
<button id="as-wallet">open as the wallet</button><button id="as-self">open as myself</button>
<script>
window.got = [];
addEventListener("message", (e) => window.got.push({ origin: e.origin, data: e.data }));
document.getElementById("as-wallet").onclick = () => window.open(${JSON.stringify(verify(walletOrigin))}, "p", "popup");
document.getElementById("as-self").onclick = () => window.open(${JSON.stringify(verify(evilOrigin))}, "q", "popup");
</script>`,
      }),
    );
    const evil = await context.newPage();
    await evil.goto(`${evilOrigin}/`);

    // Claiming to be the wallet: the person may fill the form, but the grant goes to the wallet's origin only,
    // and the browser drops it since the opener is not at that origin.
    const popupPromise = context.waitForEvent("page");
    await evil.click("#as-wallet");
    const popup = await popupPromise;
    await popup.waitForSelector("#birth-date");
    const answer = popup.waitForResponse((r) => r.request().method() === "POST");
    const closed = popup.waitForEvent("close", { timeout: 30_000 });
    await popup.fill("#birth-date", yearsAgo(30));
    await popup.click("#provider-submit");
    expect(await (await answer).text()).toContain("data-grant=");
    await closed;
    // a round trip through the opener's event loop: any message posted before the close has been delivered
    await evil.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    expect(await evil.evaluate(() => (window as unknown as { got: unknown[] }).got)).toEqual([]);

    // As itself: the provider refuses to serve an origin it does not know, and shows no form.
    const secondPromise = context.waitForEvent("page");
    await evil.click("#as-self");
    const second = await secondPromise;
    await second.waitForLoadState();
    expect(await second.textContent("body")).toContain("does not serve that wallet");
    expect(await second.$("#birth-date")).toBeNull();
    await second.screenshot({ path: `${SHOTS}/provider-refuses-other-origin.png` });
    expect(await evil.evaluate(() => (window as unknown as { got: unknown[] }).got)).toEqual([]);
    await context.close();
  });

  it("double blindness: neither the provider nor the gateway sees the site; the site never sees the person or the provider", () => {
    expect(providerLog.length).toBeGreaterThan(0);
    expect(siteLog.length).toBeGreaterThan(0);
    expect(grantsSeen.length).toBeGreaterThan(0);
    const sitePort = new URL(site.url).port;
    for (const r of providerLog) {
      const t = text(r);
      for (const leak of ["site.localhost", `:${sitePort}`, "/adult", "/teen", "/mixed", "blindgate/proof"]) {
        expect(t, `provider received ${leak}`).not.toContain(leak);
      }
    }
    // The wallet's requests to the gateway (its page, config, directory, key log, providers, issuance) carry
    // nothing about the site either: the site's origin exists only inside the browser.
    // No cookie either: each party has its own host, so the site's age session stays with the site (cookies are
    // scoped by host, not port: parties sharing one host would see each other's).
    expect(siteLog.some((r) => typeof r.headers.cookie === "string")).toBe(true);
    for (const r of providerLog) expect(r.headers.cookie, "provider received a cookie").toBeUndefined();
    const fromBrowser = gatewayLog.filter((r) => r.headers["user-agent"]?.includes("Chrome"));
    for (const r of fromBrowser) expect(r.headers.cookie, "gateway received a cookie").toBeUndefined();
    expect(fromBrowser.some((r) => r.url.startsWith("/token-request"))).toBe(true);
    expect(fromBrowser.some((r) => r.url.startsWith("/wallet/"))).toBe(true);
    for (const r of fromBrowser) {
      const t = text(r);
      for (const leak of ["site.localhost", `:${sitePort}`, "/adult", "/teen", "/mixed"]) {
        expect(t, `gateway received ${leak} from the browser`).not.toContain(leak);
      }
    }
    const births = [yearsAgo(30), yearsAgo(15)];
    for (const r of siteLog) {
      const t = text(r);
      for (const leak of [
        ...births,
        PROVIDER_NAME,
        "demo-provider",
        providerHost,
        "provider.localhost",
        ...grantsSeen,
      ]) {
        expect(t, "site received a provider-side secret").not.toContain(leak);
      }
    }
  });
});
