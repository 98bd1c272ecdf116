import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../examples/express/app.js";
import {
  checkAge,
  confirm,
  newPerson,
  openProvider,
  shot,
  startWorld,
  type World,
  walletView,
  yearsAgo,
} from "./support.js";

/*
 * The Express example in Chromium, against the local gateway, its wallet and the demo provider: a person opens the
 * adults' room, gets the refusal page, whose button runs the SDK's prebuilt browser module (served by the example at
 * /blindgate.js under the page's CSP), proves their age with the wallet, and the page opens. A 15-year-old gets the
 * lobby and not the adults' room.
 */

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;

let world: World;
let server: Server;
let siteUrl: string;
let bundleDir: string;

beforeAll(async () => {
  world = await startWorld();
  bundleDir = await mkdtemp(join(tmpdir(), "blindgate-example-e2e-"));
  await run(process.execPath, [join(root, "sdk/scripts/build-browser.mjs"), "--out", bundleDir]);
  const app = createApp({
    gatewayUrl: world.gateway.localUrl,
    walletUrl: world.gateway.walletUrl,
    siteKey: (await world.gateway.addSite("Express example")).apiKey,
    sessionSecret: "an-e2e-example-session-secret-of-32-bytes!",
    issuerName: world.gateway.issuerName,
    browserModuleFile: join(bundleDir, "blindgate-browser.min.js"),
  });
  server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  // Its own host name, as a real site has: Chromium maps *.localhost to this machine (support.ts).
  siteUrl = `http://example.localhost:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await world?.close();
  await rm(bundleDir, { recursive: true, force: true });
});

/** Click the refusal page's button and take the wallet's window. */
async function openWalletFrom(page: import("playwright-core").Page) {
  const walletPromise = page.context().waitForEvent("page");
  await page.click("#blindgate-prove");
  const wallet = await walletPromise;
  await wallet.waitForLoadState();
  return wallet;
}

describe("examples/express in Chromium", () => {
  it("an adult proves their age from the refusal page, with the prebuilt module, and enters the adults' room", async () => {
    const person = await newPerson(world);
    const page = await person.newPage();
    const failed: string[] = [];
    page.on("response", (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    const refused = await page.goto(`${siteUrl}/adults`);
    expect(refused?.status()).toBe(401);
    await expect(page.textContent("h1")).resolves.toContain("18 or over");
    // The button is shown by the module's script: it loaded from /blindgate.js under the page's CSP, and ran.
    await page.waitForSelector("#blindgate-prove:not([hidden])");
    const wallet = await openWalletFrom(page);
    await walletView(wallet, "providers");
    const provider = await openProvider(wallet);
    await checkAge(provider, yearsAgo(30));
    // The first proof after an age check waits: the refusal page says why and for how long, from the wallet's word.
    await page.waitForFunction(
      () =>
        document.getElementById("blindgate-status")?.textContent?.includes("Your wallet waits about") ??
        false,
      undefined,
      { timeout: 30_000 },
    );
    await walletView(wallet, "confirm");
    const reloaded = page.waitForEvent("load");
    await confirm(wallet);
    await reloaded;
    await expect(page.textContent("h1")).resolves.toBe("Adults only");
    await expect(page.textContent("p")).resolves.toContain("18 or over");
    // Nothing failed but the refusal itself and the browser's guess at a favicon the example does not have.
    expect(failed.filter((f) => f !== "401 /adults" && f !== "404 /favicon.ico")).toEqual([]);
    expect(world.consoleErrors.filter((e) => e.includes("Content Security Policy"))).toEqual([]);

    // The same adult at the teens' room (13 to 17): refused, told why in words, no button; English and French.
    const teens = await page.goto(`${siteUrl}/teens`);
    expect(teens?.status()).toBe(401);
    await expect(page.textContent("main")).resolves.toContain("18 or over, so this section is closed to you");
    expect(await page.$("#blindgate-prove")).toBeNull();
    await shot(page, "example-teens-adult-en");
    const french = await world.browser.newContext({ locale: "fr-FR" });
    await french.addCookies(await person.cookies());
    const frPage = await french.newPage();
    await frPage.goto(`${siteUrl}/teens`);
    await expect(frPage.textContent("main")).resolves.toContain(
      "18 ans ou plus : cet espace vous est donc fermé",
    );
    await shot(frPage, "example-teens-adult-fr");
    await french.close();
    await person.close();
  });

  it("a 15-year-old enters the lobby and not the adults' room: two ages, one site", async () => {
    const person = await newPerson(world);
    const page = await person.newPage();
    await page.goto(`${siteUrl}/`);
    await expect(page.textContent("h1")).resolves.toContain("13 or over");
    const wallet = await openWalletFrom(page);
    await walletView(wallet, "providers");
    const provider = await openProvider(wallet);
    await checkAge(provider, yearsAgo(15));
    await walletView(wallet, "confirm");
    const reloaded = page.waitForEvent("load");
    await confirm(wallet);
    await reloaded;
    await expect(page.textContent("h1")).resolves.toBe("Lobby");
    await expect(page.textContent("p")).resolves.toContain("13 or over");
    const adults = await page.goto(`${siteUrl}/adults`);
    expect(adults?.status()).toBe(401);
    await expect(page.textContent("h1")).resolves.toContain("18 or over");
    await person.close();
  });
});
