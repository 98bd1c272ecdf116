import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  closed,
  expectWellFormed,
  newPerson,
  openWallet,
  shot,
  startWorld,
  unexpectedErrors,
  type World,
  walletView,
  yearsAgo,
} from "./support.js";

/*
 * French and English on every page (demo site, <age-gate>, wallet, demo provider): the browser's language decides;
 * the pages' own language (English) only when the browser's is not offered.
 */

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

describe("languages in Chromium", () => {
  it("a French browser gets every page in French, through the whole flow", async () => {
    const context = await newPerson(world, "fr-FR");
    const page = await context.newPage();
    await page.goto(`${world.site.url}/adult`);
    expect(await page.getAttribute("html", "lang")).toBe("fr");
    expect(await page.textContent("#prove")).toBe("Prouver mon âge");
    await shot(page, "fr-site-locked");
    const wallet = await openWallet(page);
    await walletView(wallet, "providers");
    expect(await wallet.getAttribute("html", "lang")).toBe("fr");
    expect(await wallet.textContent("#wallet-request-text")).toContain(
      "vous demande de prouver que vous avez 18 ans",
    );
    await shot(wallet, "fr-wallet-providers");
    const providerPromise = context.waitForEvent("page");
    await wallet.click("[data-provider-id]");
    const providerPage = await providerPromise;
    await providerPage.waitForSelector("#birth-date");
    expect(await providerPage.getAttribute("html", "lang")).toBe("fr");
    expect(await providerPage.textContent("label[for=birth-date]")).toBe("Date de naissance");
    await expectWellFormed(providerPage);
    await shot(providerPage, "fr-provider-form");
    await providerPage.fill("#birth-date", yearsAgo(30));
    await providerPage.click("#provider-submit");
    await walletView(wallet, "confirm");
    expect(await wallet.textContent("#wallet-confirm")).toBe("Prouver que j’ai 18 ans ou plus");
    await shot(wallet, "fr-wallet-confirm");
    await wallet.waitForSelector("#wallet-confirm:not([disabled])");
    await wallet.click("#wallet-confirm");
    await page.waitForSelector("#learned", { timeout: 60_000 });
    expect(await page.textContent("#learned")).toContain("18 ans ou plus");
    await shot(page, "fr-site-room");
    await closed(wallet);

    await context.clearCookies();
    await page.goto(`${world.site.url}/mixed`);
    await page.waitForSelector("age-gate [part=prove-button]:not([disabled])");
    expect(await page.textContent("age-gate [part=prove-button]")).toBe("Prouver que j’ai 18 ans ou plus");
    expect(await page.textContent("age-gate [part=prompt]")).toContain("réservé aux personnes de 18 ans");
    await shot(page, "fr-age-gate");
    const again = await openWallet(page);
    await again.click("#wallet-cancel");
    await page.waitForFunction(
      () => (document.querySelector("age-gate [part=status]")?.textContent ?? "") !== "",
    );
    // a Cancel reads like any "no": not proven, in French, with no code
    expect(await page.textContent("age-gate [part=status]")).toContain(
      "Votre portefeuille n’a pas prouvé l’âge demandé ici",
    );
    expect(await page.getAttribute("age-gate [part=status]", "data-code")).toBe("NOT_PROVEN");
    await shot(page, "fr-age-gate-cancelled");
    await context.close();
  });

  it("a browser in a language that is not offered gets the pages' own language (English)", async () => {
    const context = await newPerson(world, "de-DE");
    const page = await context.newPage();
    await page.goto(`${world.site.url}/mixed`);
    expect(await page.getAttribute("html", "lang")).toBe("en");
    await page.waitForSelector("age-gate [part=prove-button]:not([disabled])");
    expect(await page.textContent("age-gate [part=prove-button]")).toBe("Prove I am 18 or older");
    const wallet = await context.newPage();
    await wallet.goto(world.gateway.walletUrl);
    await wallet.waitForFunction(
      () => document.title !== "" && document.getElementById("wallet-token-list")?.textContent !== "",
    );
    expect(await wallet.getAttribute("html", "lang")).toBe("en");
    expect(await wallet.textContent("#wallet-standalone")).toContain("Sites open this wallet");
    await expectWellFormed(wallet);
    await shot(wallet, "wallet-standalone");
    await context.close();
  });

  it("no page logged an error (but the rooms' 401 challenge)", () => {
    expect(unexpectedErrors(world)).toEqual([]);
  });
});
