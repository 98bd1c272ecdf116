import { readGrantFragment } from "@blindgate/sdk/browser";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkAge,
  closed,
  confirm,
  expectWellFormed,
  newPerson,
  openProvider,
  openWallet,
  PROVIDER_NAME,
  proveAgain,
  proveFirstTime,
  shot,
  startWorld,
  text,
  unexpectedErrors,
  type World,
  walletView,
  yearsAgo,
} from "./support.js";

/*
 * The happy path in real Chromium: a person proves their age once with the demo provider, the wallet gets tokens
 * from the gateway, and the demo site lets them in knowing only "over N"; an age session opens the mixed page's
 * section without the wallet; the wallet's confirm cannot be triggered by a stray key press; no page logs an
 * error; and neither the provider nor the gateway learns anything about the site.
 */

let world: World;
let adult: BrowserContext;
let adultPage: Page;
const grantsSeen: string[] = [];

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

function collectGrants(context: BrowserContext): void {
  // the provider hands the grant back in the fragment of the wallet's return page (never sent to a server): read it
  // from the navigation, for the leak checks below
  context.on("page", (page) =>
    page.on("framenavigated", (frame) => {
      const answer = readGrantFragment(new URL(frame.url()).hash);
      if (answer?.type === "blindgate:grant") grantsSeen.push(answer.grant);
    }),
  );
}

describe("the happy path in Chromium", () => {
  it("an adult gets tokens once and opens the 18 room, learning only 'over 18'; every page well formed", async () => {
    adult = await newPerson(world);
    collectGrants(adult);
    adultPage = await adult.newPage();
    const locked = await adultPage.goto(`${world.site.url}/adult`);
    expect(locked?.status()).toBe(401);
    expect(await adultPage.textContent("main")).toContain("18 or older");
    await expectWellFormed(adultPage);
    await shot(adultPage, "adult-locked");

    const wallet = await proveFirstTime(adultPage, yearsAgo(30), "adult");
    await walletView(wallet, "done");
    await shot(wallet, "adult-wallet-done");
    await adultPage.waitForSelector("#learned", { timeout: 60_000 });
    expect(await adultPage.textContent("#learned")).toContain("over 18");
    await expectWellFormed(adultPage);
    await shot(adultPage, "adult-room");
    await closed(wallet);

    const home = await adult.newPage();
    await home.goto(world.site.url);
    await expectWellFormed(home);
    await shot(home, "site-home");
    await home.close();
  });

  it("an open age session opens the mixed page's section without asking the wallet", async () => {
    let opened = 0;
    const count = () => opened++;
    adult.on("page", count);
    await adultPage.goto(`${world.site.url}/mixed`);
    await adultPage.waitForSelector("#adult-section", { timeout: 30_000 });
    expect(await adultPage.textContent("#adult-section")).toContain("over 18");
    expect(opened).toBe(0);
    await expectWellFormed(adultPage);
    await shot(adultPage, "mixed-open-from-session");
    adult.off("page", count);
  });

  it("without a session, <age-gate> asks the wallet, which answers from its tokens", async () => {
    await adult.clearCookies();
    await adultPage.goto(`${world.site.url}/mixed`);
    await adultPage.waitForSelector("age-gate [part=prove-button]:not([disabled])");
    expect(await adultPage.$("#adult-section")).toBeNull();
    await shot(adultPage, "mixed-locked");
    const wallet = await proveAgain(adultPage, "mixed");
    await adultPage.waitForSelector("#adult-section", { timeout: 60_000 });
    expect(await adultPage.textContent("#adult-section")).toContain("over 18");
    await shot(adultPage, "mixed-open");
    await closed(wallet);
  });

  it("keyjacking: a key press right after the wallet opens sends nothing; Confirm is not focused and not armed", async () => {
    await adult.clearCookies();
    await adultPage.goto(`${world.site.url}/adult`);
    const proofsBefore = world.siteLog.filter((r) => r.method === "POST").length;
    const wallet = await openWallet(adultPage);
    const button = await wallet.waitForSelector("#wallet-confirm");
    // at once: Enter and Space land on whatever has the focus; a forced click reaches the button itself
    const pressedOn = await wallet.evaluate(() => ({
      focused: document.activeElement?.id ?? "",
      disabled: (document.getElementById("wallet-confirm") as HTMLButtonElement).disabled,
    }));
    await wallet.keyboard.press("Enter");
    await wallet.keyboard.press(" ");
    await button.click({ force: true });
    expect(pressedOn.focused).not.toBe("wallet-confirm");
    expect(pressedOn.disabled).toBe(true);
    await shot(wallet, "wallet-confirm-arming");
    // armed after about a second of visibility; nothing was sent meanwhile
    await wallet.waitForSelector("#wallet-confirm:not([disabled])");
    expect(await wallet.getAttribute("#wallet-panel", "data-view")).toBe("confirm");
    expect(world.siteLog.filter((r) => r.method === "POST").length).toBe(proofsBefore);
    expect(await adultPage.$("#learned")).toBeNull();
    await shot(wallet, "wallet-confirm-armed");
    // and by keyboard, on purpose: Tab to the button, read its label for a second, Enter
    await wallet.focus("#wallet-confirm");
    await wallet.clock.fastForward(1100);
    await wallet.keyboard.press("Enter");
    await adultPage.waitForSelector("#learned", { timeout: 60_000 });
  });

  it("no page logged an error on the happy path (but the rooms' 401 challenge, which Chromium logs)", () => {
    expect(world.consoleErrors.length).toBeGreaterThan(0); // the collector works: it saw the rooms' 401s
    expect(unexpectedErrors(world)).toEqual([]);
  });

  it("a replayed token is refused, and a second proof uses another token", async () => {
    const proofs = world.siteLog.filter(
      (r) => r.method === "POST" && r.url.startsWith("/.well-known/blindgate/proof"),
    );
    expect(proofs.length).toBeGreaterThanOrEqual(3);
    const tokens = proofs.map((p) => (JSON.parse(p.body) as { token: string }).token);
    expect(new Set(tokens).size).toBe(tokens.length);
    const replay = await fetch(`${world.site.localUrl}/.well-known/blindgate/proof`, {
      method: "POST",
      headers: { "content-type": "application/json", "sec-fetch-site": "same-origin" },
      body: JSON.stringify({ token: tokens[0] }),
    });
    expect(replay.status).toBeGreaterThanOrEqual(400);
    expect(replay.status).toBeLessThan(500);
    await adult.close();
  });

  it("the provider's page has no path to the site's window: no opener, nothing of the site to count or probe", async () => {
    const context = await newPerson(world);
    const page = await context.newPage();
    await page.goto(`${world.site.url}/adult`);
    // the site's page has a named frame a provider could probe for (the red team's "checkout-widget")
    await page.evaluate(() => {
      const frame = document.createElement("iframe");
      frame.name = "checkout-widget";
      document.body.append(frame);
    });
    const wallet = await openWallet(page);
    await walletView(wallet, "providers");
    const providerPage = await openProvider(wallet);
    const seen = await providerPage.evaluate(() => {
      const w = window as unknown as { opener: Window | null };
      let siteFrames: number | string = "unreachable";
      let probed: boolean | string = "unreachable";
      try {
        const site = w.opener?.opener as (Window & Record<string, unknown>) | null | undefined;
        if (site) {
          siteFrames = site.length;
          probed = site["checkout-widget"] !== undefined;
        }
      } catch {
        siteFrames = "blocked";
      }
      return { opener: w.opener === null, siteFrames, probed };
    });
    expect(seen).toEqual({ opener: true, siteFrames: "unreachable", probed: "unreachable" });
    // and the age check still comes back to the wallet, which answers the site
    await checkAge(providerPage, yearsAgo(30));
    await walletView(wallet, "confirm");
    await confirm(wallet);
    await page.waitForSelector("#learned", { timeout: 60_000 });
    await context.close();
  });

  it("a page that is not the wallet cannot obtain a grant from the provider", async () => {
    const context = await newPerson(world);
    const providerHost = new URL(world.provider.url).host;
    const evilOrigin = "http://evil.localhost:4444";
    const walletOrigin = new URL(world.gateway.url).origin;
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
    const gone = popup.waitForEvent("close", { timeout: 30_000 });
    await popup.fill("#birth-date", yearsAgo(30));
    await popup.click("#provider-submit");
    expect(await (await answer).text()).toContain("data-grant=");
    await gone;
    // a round trip through the opener's event loop: any message posted before the close has been delivered
    await evil.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    expect(await evil.evaluate(() => (window as unknown as { got: unknown[] }).got)).toEqual([]);

    // Claiming to be the wallet and naming the wallet's return page: the grant lands on the wallet's origin, where no
    // wallet window waits for that state; the return page keeps nothing and says so, and this page gets nothing.
    const returnPage = `${walletOrigin}/wallet/return.html`;
    await evil.evaluate(
      ([url]) => {
        const button = document.createElement("button");
        button.id = "as-wallet-return";
        button.textContent = "open as the wallet, with its return page";
        button.onclick = () => window.open(url, "r", "popup");
        document.body.append(button);
      },
      [`${verify(walletOrigin)}&${new URLSearchParams({ wallet_return: returnPage })}`],
    );
    const thirdPromise = context.waitForEvent("page");
    await evil.click("#as-wallet-return");
    const third = await thirdPromise;
    await third.waitForSelector("#birth-date");
    await third.fill("#birth-date", yearsAgo(30));
    await third.click("#provider-submit");
    await third.waitForURL(/\/wallet\/return\.html$/, { timeout: 30_000 });
    expect(third.url()).not.toContain("#"); // the grant left the address bar at once
    await third.waitForFunction(() =>
      (document.getElementById("return-status")?.textContent ?? "").includes("No wallet"),
    );
    expect(await evil.evaluate(() => (window as unknown as { got: unknown[] }).got)).toEqual([]);
    await third.close();

    // As itself: the provider refuses to serve an origin it does not know, and shows no form.
    const secondPromise = context.waitForEvent("page");
    await evil.click("#as-self");
    const second = await secondPromise;
    await second.waitForLoadState();
    expect(await second.textContent("body")).toContain("does not serve that wallet");
    expect(await second.$("#birth-date")).toBeNull();
    await shot(second, "provider-refuses-other-origin");
    expect(await evil.evaluate(() => (window as unknown as { got: unknown[] }).got)).toEqual([]);
    await context.close();
  });

  it("the provider's refusal page, opened on its own (no wallet), stays up to be read", async () => {
    const context = await newPerson(world);
    const direct = await context.newPage();
    const walletOrigin = new URL(world.gateway.url).origin;
    await direct.goto(
      `${world.provider.url}/verify?${new URLSearchParams({ wallet_origin: walletOrigin, state: "e2e-direct-1" })}`,
    );
    await direct.fill("#birth-date", yearsAgo(12));
    await direct.click("#provider-submit");
    await direct.waitForSelector("#refused");
    expect(await direct.textContent("#refused")).toContain("age tokens start at 13");
    expect(await direct.textContent("h1")).toContain("a stand-in for a real age check");
    await direct.waitForSelector("#alone:not([hidden])");
    await shot(direct, "provider-refused-alone");
    await context.close();
  });

  it("double blindness: neither the provider nor the gateway sees the site; the site never sees the person or the provider", () => {
    const { providerLog, siteLog, gatewayLog, site, provider } = world;
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
    // No cookie either: each party has its own host, so the site's age session stays with the site.
    expect(siteLog.some((r) => typeof r.headers.cookie === "string")).toBe(true);
    for (const r of providerLog) expect(r.headers.cookie, "provider received a cookie").toBeUndefined();
    const fromBrowser = gatewayLog.filter((r) => r.headers["user-agent"]?.includes("Chrome"));
    for (const r of fromBrowser) expect(r.headers.cookie, "gateway received a cookie").toBeUndefined();
    expect(fromBrowser.some((r) => r.url.startsWith("/v1/credential"))).toBe(true);
    expect(fromBrowser.some((r) => r.url.startsWith("/wallet/"))).toBe(true);
    for (const r of fromBrowser) {
      const t = text(r);
      for (const leak of ["site.localhost", `:${sitePort}`, "/adult", "/teen", "/mixed"]) {
        expect(t, `gateway received ${leak} from the browser`).not.toContain(leak);
      }
    }
    const providerHost = new URL(provider.url).host;
    for (const r of siteLog) {
      const t = text(r);
      for (const leak of [yearsAgo(30), PROVIDER_NAME, "demo-provider", providerHost, ...grantsSeen]) {
        expect(t, "site received a provider-side secret").not.toContain(leak);
      }
    }
  });
});
