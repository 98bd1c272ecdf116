import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectAccessible, focusProblems } from "./a11y.js";
import {
  closed,
  newPerson,
  openProvider,
  openWallet,
  startWorld,
  unexpectedErrors,
  type World,
  walletView,
} from "./support.js";

/*
 * Accessibility beyond axe's pass over every screenshot (support.ts `shot`): the check itself fails on a violation
 * under the pages' real Content-Security-Policy, and the keyboard's focus shows with enough contrast on the site,
 * the provider and the wallet (what axe does not measure).
 */

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

async function expectFocusVisible(page: Page, name: string): Promise<void> {
  const { stops, problems } = await focusProblems(page);
  expect(stops.length, `${name}: the keyboard reached something`).toBeGreaterThan(0);
  expect(problems, `${name}: focus shown (stops: ${stops.join(", ")})`).toEqual([]);
}

describe("accessibility in Chromium", () => {
  it("axe's check runs under the page's own CSP and fails on a violation, naming the rule and the element", async () => {
    const context = await newPerson(world);
    const page = await context.newPage();
    const response = await page.goto(`${world.site.url}/adult`);
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await expectAccessible(page, "adult room, locked");
    await page.evaluate(() => {
      const field = document.createElement("input");
      field.id = "unlabelled";
      document.querySelector("main")?.append(field);
    });
    await expect(expectAccessible(page, "with a field without a label")).rejects.toThrow(
      /with a field without a label .*accessibility violation[\s\S]*label \(critical\)[\s\S]*#unlabelled/,
    );
    await context.close();
  });

  it("the focus check fails on a faint outline", async () => {
    const context = await newPerson(world);
    const page = await context.newPage();
    await page.goto(`${world.site.url}/adult`);
    // amber on white, 2.15:1 (set through the CSSOM, which the page's CSP allows)
    await page.evaluate(() => {
      const prove = document.getElementById("prove");
      if (prove !== null) prove.style.outlineColor = "#f59e0b";
    });
    const { problems } = await focusProblems(page);
    expect(problems.find((p) => p.startsWith("button#prove"))).toMatch(/focus outline .* < 3:1/);
    await context.close();
  });

  it("the keyboard's focus shows on the site's pages, <age-gate>, the wallet and the provider", async () => {
    const context = await newPerson(world);
    const page = await context.newPage();
    await page.goto(world.site.url);
    await expectFocusVisible(page, "site home");
    await page.goto(`${world.site.url}/mixed`);
    await page.waitForSelector("age-gate [part=prove-button]:not([disabled])");
    await expectFocusVisible(page, "mixed page with <age-gate>");
    await page.goto(`${world.site.url}/adult`);
    await expectFocusVisible(page, "adult room, locked");

    const wallet = await openWallet(page);
    await walletView(wallet, "providers");
    await expectFocusVisible(wallet, "wallet, providers");
    const providerPage = await openProvider(wallet);
    await expectFocusVisible(providerPage, "provider form");
    await providerPage.close();
    await wallet.close();
    await closed(wallet);

    const standalone = await context.newPage();
    await standalone.goto(world.gateway.walletUrl);
    await standalone.waitForSelector('#wallet-panel[data-view="home"] #wallet-delete'); // its buttons drawn
    await expectFocusVisible(standalone, "wallet on its own");
    await context.close();
  });

  it("no page logged an error (but the rooms' 401 challenge)", () => {
    expect(unexpectedErrors(world)).toEqual([]);
  });
});
