import { mkdir } from "node:fs/promises";
import { exportGrantJwks, generateGrantKey } from "@blindgate/sdk/provider";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import type { RecordedRequest } from "../../demo/http.js";
import { type DemoProvider, startDemoProvider } from "../../demo/provider/server.js";
import { type DemoSite, startDemoSite } from "../../demo/site/server.js";
import { type LocalGateway, startLocalGateway } from "../../functions/local/gateway.js";
import { expectAccessible } from "./a11y.js";

/*
 * What the end-to-end tests share: a world of three parties, each on its own host (gateway.localhost,
 * provider.localhost, site.localhost: Chromium maps *.localhost to loopback and treats them as secure contexts), every
 * request each party receives recorded, Chromium, and the steps a person takes (prove, the provider's form, the
 * wallet's confirm). Screenshots of every state go to test-results/e2e/ (git-ignored), and each state screenshot
 * must pass axe-core's WCAG 2 A/AA and best-practice rules (a11y.ts).
 */

export const SHOTS = "test-results/e2e";
export const PROVIDER_NAME = "Demo provider (stand-in age check)";

export interface World {
  gateway: LocalGateway;
  provider: DemoProvider;
  site: DemoSite;
  siteKey: string;
  browser: Browser;
  providerLog: RecordedRequest[];
  siteLog: RecordedRequest[];
  gatewayLog: RecordedRequest[];
  /** Console errors and uncaught page errors, with the page's URL. */
  consoleErrors: string[];
  close(): Promise<void>;
}

export function yearsAgo(years: number, extraDays = 30): string {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  d.setUTCDate(d.getUTCDate() - extraDays);
  return d.toISOString().slice(0, 10);
}

export async function startWorld(): Promise<World> {
  await mkdir(SHOTS, { recursive: true });
  const providerLog: RecordedRequest[] = [];
  const siteLog: RecordedRequest[] = [];
  const gatewayLog: RecordedRequest[] = [];
  const gateway = await startLocalGateway({
    publicHost: "gateway.localhost",
    onRequest: (r) => gatewayLog.push({ ...r, body: "" }),
  });
  const grantKey = await generateGrantKey({ kid: "e2e-1" });
  const provider = await startDemoProvider({
    providerId: "demo-provider",
    issuerName: gateway.issuerName,
    walletOrigins: [new URL(gateway.url).origin],
    grantKey,
    record: (r) => providerLog.push(r),
    publicHost: "provider.localhost",
  });
  await gateway.addProvider({
    id: "demo-provider",
    name: PROVIDER_NAME,
    verifyUrl: provider.verifyUrl,
    jwks: await exportGrantJwks(grantKey),
    maxThreshold: 21, // the demo provider attests every threshold, 21 included
    bands: ["13-16", "16-18", "13-18"], // and teenagers' bands, from the birth date
  });
  const siteKey = (await gateway.addSite("Demo site")).apiKey;
  const site = await startDemoSite({
    gatewayUrl: gateway.localUrl,
    issuerName: gateway.issuerName,
    siteKey,
    walletUrl: gateway.walletUrl,
    record: (r) => siteLog.push(r),
    publicHost: "site.localhost",
  });
  const browser = await launchChromium();
  return {
    gateway,
    provider,
    site,
    siteKey,
    browser,
    providerLog,
    siteLog,
    gatewayLog,
    consoleErrors: [],
    async close() {
      await browser.close();
      await site.close();
      await provider.close();
      await gateway.close();
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
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
}

/**
 * A fresh person (own cookies, own wallet storage), whose console errors are collected. The context's clock is
 * Playwright's (it flows as usual): a test can move it past the wallet's first-use wait (walletView does).
 */
export async function newPerson(world: World, locale = "en-GB"): Promise<BrowserContext> {
  const context = await world.browser.newContext({ locale });
  await context.clock.install();
  context.on("console", (message) => {
    if (message.type() === "error") world.consoleErrors.push(`${message.page()?.url()}: ${message.text()}`);
  });
  context.on("weberror", (error) => world.consoleErrors.push(`page error: ${error.error().message}`));
  return context;
}

/** A fresh person ({@link newPerson}) on the demo site's page at `path`. */
export async function visitSite(
  world: World,
  path: string,
  locale?: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newPerson(world, locale);
  const page = await context.newPage();
  await page.goto(`${world.site.url}${path}`);
  return { context, page };
}

/** A screenshot of a state the person sees, which must pass axe's accessibility rules (a11y.ts). */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  await expectAccessible(page, name);
}

/** Every page: one <main> landmark, a favicon, a lang. */
export async function expectWellFormed(page: Page): Promise<void> {
  const facts = await page.evaluate(() => ({
    mains: document.querySelectorAll("main").length,
    icon: document.querySelector('link[rel="icon"]')?.getAttribute("href") ?? null,
    lang: document.documentElement.lang,
  }));
  expect(facts.mains, `${page.url()} has one <main>`).toBe(1);
  expect(facts.icon, `${page.url()} has a favicon`).not.toBeNull();
  expect(facts.lang).toMatch(/^(en|fr)$/);
}

/** Click the page's prove button (a room's, or <age-gate>'s); the wallet's window. */
export async function openWallet(page: Page): Promise<Page> {
  const walletPromise = page.context().waitForEvent("page");
  await page.click("[data-prove], [part=prove-button]");
  const wallet = await walletPromise;
  await wallet.waitForLoadState();
  return wallet;
}

/**
 * The wallet shows a step (data-view of its panel). On the way, the waits before consent — the first-use wait after a
 * fresh grant, and the pause of a site that asks again at once — are passed by moving the page's clock past them (the
 * person would wait up to a minute; the waits themselves are tested in credits.test.ts and consent.test.ts).
 */
export async function walletView(wallet: Page, view: string): Promise<void> {
  const wanted = `#wallet-panel[data-view="${view}"]`;
  const waits = ["first-use-wait", "paced"].filter((w) => w !== view);
  const waiting = waits.map((w) => `#wallet-panel[data-view="${w}"]`).join(", ");
  try {
    for (;;) {
      await wallet.waitForSelector(`${wanted}, ${waiting}`, { timeout: 60_000 });
      const passing = await currentView(wallet);
      if (passing === view) return;
      if (passing === "first-use-wait") await passFirstUseWait(wallet);
      else if (passing === "paced") await passPace(wallet);
      else continue;
      await wallet.waitForSelector(`#wallet-panel:not([data-view="${passing}"])`, { timeout: 60_000 });
    }
  } catch (error) {
    // what the wallet showed instead, for the report
    const shown = wallet.isClosed() ? "(closed)" : await wallet.textContent("main").catch(() => "?");
    throw new Error(`wallet did not show "${view}"; it showed: ${shown}`, { cause: error });
  }
}

async function currentView(wallet: Page): Promise<string> {
  return (await wallet.getAttribute("#wallet-panel", "data-view")) ?? "";
}

/** The wallet pauses a site that asked again at once: move the clock of the person's browser past the pause. */
export async function passPace(wallet: Page): Promise<number> {
  const until = Number(await wallet.getAttribute("#wallet-paced-left", "data-until"));
  const left = Math.max(0, until - (await wallet.evaluate(() => Date.now())));
  await wallet.clock.fastForward(left + 500);
  return left + 500;
}

/** The wallet shows its first-use wait: move the clock of the person's browser past it. The ms moved. */
export async function passFirstUseWait(wallet: Page): Promise<number> {
  const left = Number(await wallet.getAttribute("#wallet-first-use", "data-wait-ms"));
  expect(left).toBeGreaterThan(0);
  await wallet.clock.fastForward(left + 500);
  return left + 500;
}

/** Pick the provider in the wallet; the provider's window. */
export async function openProvider(wallet: Page): Promise<Page> {
  const providerPromise = wallet.context().waitForEvent("page");
  await wallet.click("[data-provider-id]");
  const providerPage = await providerPromise;
  await providerPage.waitForSelector("#birth-date");
  return providerPage;
}

/** Type a birth date at the provider and submit. */
export async function checkAge(providerPage: Page, birthDate: string): Promise<void> {
  await providerPage.fill("#birth-date", birthDate);
  await providerPage.click("#provider-submit");
}

/** Wait for the wallet's confirm button to be armed, then press it. */
export async function confirm(wallet: Page, selector = "#wallet-confirm"): Promise<void> {
  await wallet.waitForSelector(`${selector}:not([disabled])`, { timeout: 60_000 }).catch(async (error) => {
    const state = wallet.isClosed()
      ? "(closed)"
      : await wallet
          .evaluate(
            (s) =>
              `visibility ${document.visibilityState}, view ${document.getElementById("wallet-panel")?.dataset.view}, ` +
              `button ${document.querySelector(s) === null ? "absent" : "present"}, now ${Date.now()}`,
            selector,
          )
          .catch(() => "?");
    throw new Error(`${selector} was not armed: ${state}`, { cause: error });
  });
  await wallet.click(selector);
}

/** The whole first proof: wallet, provider, confirm. */
export async function proveFirstTime(page: Page, birthDate: string, shots?: string): Promise<Page> {
  const wallet = await openWallet(page);
  await walletView(wallet, "providers");
  if (shots !== undefined) await shot(wallet, `${shots}-wallet-providers`);
  const providerPage = await openProvider(wallet);
  if (shots !== undefined) await shot(providerPage, `${shots}-provider-form`);
  await checkAge(providerPage, birthDate);
  await walletView(wallet, "confirm");
  if (shots !== undefined) await shot(wallet, `${shots}-wallet-confirm`);
  await confirm(wallet);
  return wallet;
}

/** A proof with tokens already in the wallet. */
export async function proveAgain(page: Page, shots?: string): Promise<Page> {
  const wallet = await openWallet(page);
  await walletView(wallet, "confirm");
  if (shots !== undefined) await shot(wallet, `${shots}-wallet-confirm`);
  await confirm(wallet);
  return wallet;
}

/** The text of a recorded request, for leak checks. */
export function text(r: RecordedRequest): string {
  return `${r.method} ${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`;
}

/**
 * Clicks a button that closes its own window and waits for the close. Playwright may report "Target page ...
 * has been closed" for such a click when the window goes before the click's own bookkeeping ends (seen in CI):
 * that error is the expected outcome here, any other is not.
 */
export async function clickToClose(page: Page, selector: string): Promise<void> {
  await page.click(selector, { noWaitAfter: true }).catch((error: unknown) => {
    if (!page.isClosed() && !/has been closed/.test(String(error))) throw error;
  });
  await closed(page);
}

/** Resolves once the page is closed (already, or later). */
export async function closed(page: Page): Promise<void> {
  if (page.isClosed()) return;
  await page.waitForEvent("close", { timeout: 30_000 }).catch((error: unknown) => {
    if (!page.isClosed()) throw error;
  });
}

/**
 * The console errors that are not the protocol's own 401: a gated room answers a browser without an age session
 * with RFC 9577's 401 and its PrivateToken challenge (that is how a browser with a built-in Privacy Pass client
 * learns to present a token), and Chromium logs every 401 document as "Failed to load resource".
 */
export function unexpectedErrors(world: World): string[] {
  const room = new RegExp(
    `^${world.site.url.replace(/[.]/g, "\\.")}/(lobby|teens|adults): Failed to load resource: the server responded with a status of 401`,
  );
  return world.consoleErrors.filter((e) => !room.test(e));
}
