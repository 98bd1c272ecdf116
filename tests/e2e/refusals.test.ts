import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkAge,
  clickToClose,
  closed,
  confirm,
  expectWellFormed,
  openProvider,
  openWallet,
  proveFirstTime,
  shot,
  startWorld,
  visitSite,
  type World,
  walletView,
  yearsAgo,
} from "./support.js";

/*
 * The refusals, designed as carefully as the happy path, in Chromium: a 12-year-old (the provider's page stays up
 * to be read), a future birth date (the form says why and stays), a 15-year-old at the adult room (told by the
 * wallet from the last check, not sent to the provider at every attempt), and a person whose only tokens prove
 * more than asked (asked first, default no).
 */

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

const issuances = () => world.gatewayLog.filter((r) => r.url.startsWith("/token-request")).length;
const statusText = (page: Page) => page.textContent("#prove-status").then((t) => t ?? "");
/** Visitor text carries no stable code (they go to a details line or the console). */
const expectNoCode = (text: string) =>
  expect(text).not.toMatch(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\(([A-Z_]{4,})\)/);

describe("refusals in Chromium", () => {
  it("a 12-year-old: the provider's refusal stays up with a Close button, the wallet explains, the site hears only NOT_PROVEN", async () => {
    const issuedBefore = issuances();
    const { context, page } = await visitSite(world, "/teen");
    const wallet = await openWallet(page);
    await walletView(wallet, "providers");
    const providerPage = await openProvider(wallet);
    const refusal = providerPage.waitForResponse((r) => r.request().method() === "POST");
    await checkAge(providerPage, yearsAgo(12));
    expect((await refusal).status()).toBe(403);
    // the provider's page stays up to be read; its Close button takes the refusal back to the wallet
    await providerPage.waitForSelector("#provider-close:not([hidden])");
    expect(await providerPage.textContent("#refused")).toContain("age tokens start at 13");
    await expectWellFormed(providerPage);
    await shot(providerPage, "child-provider-refused");
    await clickToClose(providerPage, "#provider-close");
    await walletView(wallet, "under-age");
    expect(await wallet.textContent("#wallet-panel")).toContain("could not confirm you are 13 or older");
    expect(await wallet.textContent("#wallet-panel")).toContain("The site is told only “not proven”");
    // the site's tab says exactly that, in words, with no code: it cannot tell an age from a Cancel
    await page.waitForFunction(() =>
      (document.getElementById("prove-status")?.textContent ?? "").includes("did not prove the age asked"),
    );
    expectNoCode(await statusText(page));
    // the wallet's list for a child: no "yet", no "when the tokens above are used up"
    const holdings = (await wallet.textContent("#wallet-tokens")) ?? "";
    expect(holdings).toContain("did not confirm you are 13 or older");
    expect(holdings).not.toContain("No tokens yet");
    expect(holdings).not.toContain("used up");
    expect(await page.$("#learned")).toBeNull();
    await shot(wallet, "child-wallet");
    await shot(page, "child-site-not-proven");
    expect(issuances()).toBe(issuedBefore);
    await clickToClose(wallet, "#wallet-close");
    await context.close();
  });

  it("a future birth date: the browser and the provider both keep the form, with the reason", async () => {
    const { context, page } = await visitSite(world, "/teen");
    const wallet = await openWallet(page);
    await walletView(wallet, "providers");
    const providerPage = await openProvider(wallet);
    const future = new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 10);
    await providerPage.fill("#birth-date", future);
    // the browser refuses to send it (max = today): still the form
    await providerPage.click("#provider-submit");
    expect(
      await providerPage.evaluate(
        () => (document.getElementById("birth-date") as HTMLInputElement).validity.rangeOverflow,
      ),
    ).toBe(true);
    // a browser that sends it anyway gets the form back, with the reason next to the field
    await providerPage.evaluate(() => {
      (document.getElementById("birth-date") as HTMLInputElement).removeAttribute("max");
      (document.querySelector("form") as HTMLFormElement).submit();
    });
    await providerPage.waitForSelector("#birth-date-error");
    expect(await providerPage.textContent("#birth-date-error")).toContain("in the future");
    expect(await providerPage.inputValue("#birth-date")).toBe(future);
    await shot(providerPage, "provider-future-date");
    await checkAge(providerPage, yearsAgo(16));
    await walletView(wallet, "confirm");
    await confirm(wallet);
    await page.waitForSelector("#learned", { timeout: 60_000 });
    expect(await page.textContent("#learned")).toContain("over 13");
    await context.close();
  });

  it("an adult at the teens' room (13 to 17) is told why in the wallet, in words; the site hears only NOT_PROVEN", async () => {
    const { context, page } = await visitSite(world, "/adults");
    const first = await proveFirstTime(page, yearsAgo(30));
    await page.waitForSelector("#learned", { timeout: 60_000 });
    await closed(first);
    await context.clearCookies(); // no session: the teens' room offers its button
    const proofsBefore = world.siteLog.filter((r) => r.method === "POST").length;
    await page.goto(`${world.site.url}/teens`);
    const wallet = await openWallet(page);
    // the request's words are written when the site's message arrives, after the page has loaded
    await walletView(wallet, "too-old");
    expect(await wallet.textContent("#wallet-request-text")).toContain("13 to 17 years old");
    const said = (await wallet.textContent("#wallet-panel")) ?? "";
    expect(said).toContain("aged 13 to 17");
    expect(said).toMatch(/you are (18|21) or older/);
    expect(await wallet.$("#wallet-confirm")).toBeNull(); // no "13 or older" token opens a teens' room
    await shot(wallet, "adult-at-teens-wallet");
    await clickToClose(wallet, "#wallet-not-proven");
    await page.waitForFunction(() =>
      (document.getElementById("prove-status")?.textContent ?? "").includes("did not prove the age asked"),
    );
    expectNoCode(await statusText(page));
    expect(world.siteLog.filter((r) => r.method === "POST").length).toBe(proofsBefore);
    await context.close();
  });

  it("a 15-year-old at the adult room is told by the wallet, from the last check, and not sent to the provider again", async () => {
    const { context, page } = await visitSite(world, "/teen");
    const first = await proveFirstTime(page, yearsAgo(15));
    await page.waitForSelector("#learned", { timeout: 60_000 });
    expect(await page.textContent("#learned")).toContain("over 13");
    await closed(first);

    const providerRequests = world.providerLog.length;
    await page.goto(`${world.site.url}/adult`);
    for (const attempt of [1, 2]) {
      const wallet = await openWallet(page);
      await walletView(wallet, "below");
      const said = (await wallet.textContent("#wallet-panel")) ?? "";
      expect(said).toContain("showed you are 15 or older");
      expect(said).toContain("asks for 18 or older");
      expect(await wallet.$("#wallet-recheck")).not.toBeNull(); // a birthday since: the way back to a provider
      if (attempt === 1) await shot(wallet, "teen-at-adult-wallet");
      await clickToClose(wallet, "#wallet-not-proven");
      await page.waitForFunction(() =>
        (document.getElementById("prove-status")?.textContent ?? "").includes("did not prove the age asked"),
      );
      expectNoCode(await statusText(page));
      if (attempt === 1) await shot(page, "teen-at-adult-site");
      await page.goto(`${world.site.url}/adult`);
    }
    expect(world.providerLog.length).toBe(providerRequests);
    expect(await page.$("#learned")).toBeNull();
    await context.close();
  });

  it("never more than asked: with only higher tokens left the wallet asks, and the default is no", async () => {
    const { context, page } = await visitSite(world, "/adult");
    const first = await proveFirstTime(page, yearsAgo(30));
    await page.waitForSelector("#learned");
    await closed(first);
    // the 18 tokens are used up, and so are the credits (the test removes both from the wallet's storage): with
    // credits left, the wallet would buy 18 tokens instead (credits.test.ts)
    const walletPage = await context.newPage();
    await walletPage.goto(world.gateway.walletUrl);
    await walletPage.waitForSelector("#wallet-token-list li");
    await walletPage.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open("blindgate-wallet");
          open.onsuccess = () => {
            const tx = open.result.transaction(["tokens", "facts"], "readwrite");
            const store = tx.objectStore("tokens");
            const all = store.getAll();
            all.onsuccess = () => {
              for (const t of all.result as { id: number; threshold: number }[])
                if (t.threshold === 18) store.delete(t.id);
            };
            tx.objectStore("facts").delete("credential");
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error);
          };
        }),
    );
    await walletPage.close();

    await context.clearCookies();
    await page.goto(`${world.site.url}/adult`);
    const proofsBefore = world.siteLog.filter((r) => r.method === "POST").length;
    let wallet = await openWallet(page);
    await walletView(wallet, "higher");
    expect(await wallet.$("#wallet-confirm")).toBeNull();
    expect(await wallet.textContent("#wallet-panel")).toContain("more than it asked");
    await wallet.keyboard.press("Enter"); // nothing is focused that sends: the default is no
    await wallet.waitForSelector("#wallet-reveal-higher:not([disabled])");
    expect(await wallet.getAttribute("#wallet-panel", "data-view")).toBe("higher");
    await shot(wallet, "wallet-higher-only");
    await clickToClose(wallet, "#wallet-cancel");
    // a Cancel reads exactly like an age that does not fit: the site learns "not proven", nothing more
    await page.waitForFunction(() =>
      (document.getElementById("prove-status")?.textContent ?? "").includes("did not prove the age asked"),
    );
    expectNoCode(await statusText(page));
    expect(world.siteLog.filter((r) => r.method === "POST").length).toBe(proofsBefore);

    // only on an explicit yes does the site learn more
    wallet = await openWallet(page);
    await walletView(wallet, "higher");
    await confirm(wallet, "#wallet-reveal-higher");
    await page.waitForSelector("#learned", { timeout: 60_000 });
    expect(await page.textContent("#learned")).toContain("over 21");
    await context.close();
  });
});
