import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAgeGate } from "@blindgate/sdk/site";
import { chromium, type Request } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { clickToClose } from "../../e2e/support.js";

/*
 * The README's promise: `npm start` runs the gateway, the wallet, the demo provider and the demo site, each on its
 * own host name, prints where they are and the issuer name, and Ctrl-C stops it cleanly. Run as a user would (a
 * separate process, the default start script), on free ports; then a person goes through the demo in Chromium
 * (which resolves *.localhost by itself: no host mapping here), every request the browser sends is recorded, and
 * no site cookie reaches the gateway or the provider. docs/site-guide.md's code, unchanged, accepts a wallet token.
 */

async function freeBase(): Promise<number> {
  // three consecutive free ports
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ok = await Promise.all(
      [0, 1, 2].map(
        (i) =>
          new Promise<boolean>((resolve) => {
            const s = createServer();
            s.once("error", () => resolve(false));
            s.listen(base + i, "127.0.0.1", () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return base;
  }
}

function yearsAgo(years: number): string {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  d.setUTCDate(d.getUTCDate() - 30);
  return d.toISOString().slice(0, 10);
}

describe("npm start", () => {
  let dir: string;
  let child: ChildProcessWithoutNullStreams | undefined;
  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) child.kill("SIGKILL");
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("runs each party on its own host, prints them and the issuer name; no site cookie reaches the gateway or the provider; the site guide's gate accepts a wallet token; Ctrl-C stops it", async () => {
    dir = await mkdtemp(join(tmpdir(), "blindgate-start-"));
    const base = await freeBase();
    child = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=blindgate-source", "functions/local/start.ts"],
      {
        cwd: new URL("../../../", import.meta.url).pathname,
        env: {
          ...process.env,
          BLINDGATE_PORT: String(base),
          BLINDGATE_DATA_KEY_FILE: join(dir, "data-key"),
          BLINDGATE_LOCAL_STATE: join(dir, "local-state.json"),
        },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    const proc = child;
    let out = "";
    proc.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${out}`)), 90_000);
      proc.stdout.on("data", () => {
        if (out.includes("Ctrl-C stops everything")) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${out}`)));
    });
    const siteUrl = `http://site.localhost:${base + 2}`;
    const gatewayUrl = `http://gateway.localhost:${base}`;
    const gatewayLocal = `http://127.0.0.1:${base}`;
    expect(out).toContain(`demo site  ${siteUrl}`);
    expect(out).toContain(`wallet     ${gatewayUrl}/wallet/`);
    expect(out).toContain(`provider   http://provider.localhost:${base + 1}`);
    expect(out).toContain(`gateway URL  ${gatewayLocal}`);
    expect(out).toContain(`issuer name  127.0.0.1:${base}`);
    // the site API key: once, in a file only its owner reads, never on the terminal
    const keyFile = /site API key in (\S+)/.exec(out)?.[1] ?? "";
    expect(keyFile).toBe(join(dir, `site-key-${base}`));
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const apiKey = /^bgs_[A-Za-z0-9_-]{20,}$/.exec((await readFile(keyFile, "utf8")).trim())?.[0];
    expect(apiKey).toBeDefined();
    expect(out).not.toContain(apiKey);
    // the printed server code names that file and compiles as it is (tests/unit/docs/snippets.test.ts)
    expect(out).toContain(`BLINDGATE_SITE_KEY="$(cat ${keyFile})"`);
    expect(out).toContain(
      `Admin: BLINDGATE_LOCAL_STATE=${join(dir, "local-state.json")} npm run admin -- where`,
    );

    // the servers, from this machine
    const directory = await fetch(`${gatewayLocal}/.well-known/private-token-issuer-directory`);
    expect(directory.status).toBe(200);
    const wallet = await fetch(`${gatewayLocal}/wallet/`);
    expect(wallet.headers.get("referrer-policy")).toBe("no-referrer");
    expect(await (await fetch(`${gatewayLocal}/wallet/config.json`)).json()).toEqual({
      gatewayUrl,
      issuerName: `127.0.0.1:${base}`,
    });
    const providers = (await (await fetch(`${gatewayLocal}/v1/providers`)).json()) as {
      providers: { verifyUrl: string }[];
    };
    expect(providers.providers[0]?.verifyUrl).toBe(`http://provider.localhost:${base + 1}/verify`);
    const adult = await fetch(`http://127.0.0.1:${base + 2}/adult`);
    expect(adult.status).toBe(401);
    expect(adult.headers.get("www-authenticate")).toMatch(/^PrivateToken challenge=/);

    // a person, in Chromium, every request recorded with the headers it really sent
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const context = await browser.newContext();
      await context.clock.install(); // flows as usual; moved past the wallet's first-use wait below
      const sent: { url: string; cookie: string | undefined }[] = [];
      const pending: Promise<void>[] = [];
      context.on("request", (request: Request) => {
        pending.push(
          request
            .allHeaders()
            .then((h) => {
              sent.push({ url: request.url(), cookie: h.cookie });
            })
            .catch(() => undefined),
        );
      });
      // The first proof's token is kept aside (the site "fails", so the wallet keeps it) for the guide's gate.
      let aside = "";
      await context.route(`${siteUrl}/.well-known/blindgate/proof`, async (route) => {
        aside = (JSON.parse(route.request().postData() ?? "{}") as { token: string }).token;
        await route.fulfill({
          status: 503,
          contentType: "application/json",
          body: '{"error":{"code":"ERR_GATEWAY_UNAVAILABLE"}}',
        });
      });
      const page = await context.newPage();
      await page.goto(`${siteUrl}/adult`);
      const walletPromise = context.waitForEvent("page");
      await page.click("[data-prove]");
      const walletPage = await walletPromise;
      await walletPage.waitForSelector("[data-provider-id]");
      const providerPromise = context.waitForEvent("page");
      await walletPage.click("[data-provider-id]");
      const providerPage = await providerPromise;
      await providerPage.fill("#birth-date", yearsAgo(30));
      await providerPage.click("#provider-submit");
      // the first proof after a grant waits up to a minute (the wallet's first-use delay): move the clock past it
      await walletPage.waitForSelector('#wallet-panel[data-view="first-use-wait"], #wallet-confirm', {
        timeout: 60_000,
      });
      const bar = await walletPage.$("#wallet-first-use");
      if (bar !== null) {
        // the site's tab says why nothing happens yet, and for how long (the wallet's progress messages)
        await page.waitForFunction(
          () => /waits about \d+ s/.test(document.getElementById("prove-status")?.textContent ?? ""),
          undefined,
          { timeout: 10_000 },
        );
        await context.clock.fastForward(Number(await bar.getAttribute("data-wait-ms")) + 500);
      }
      await walletPage.waitForSelector("#wallet-confirm:not([disabled])", { timeout: 60_000 });
      await walletPage.click("#wallet-confirm");
      await walletPage.waitForSelector('#wallet-panel[data-view="site-failed"]');
      expect(aside).not.toBe("");

      // docs/site-guide.md's Fetch API gate, unchanged but for the printed values, accepts that token
      const gate = createAgeGate({
        issuers: { url: gatewayLocal, siteKey: apiKey ?? "" },
        minAge: 18,
        session: { secret: "a".repeat(48), secure: false },
      });
      const handler = gate.protect((_request, { ageOver }) => new Response(`Welcome (over ${ageOver}).`));
      const guided = await handler(
        new Request("http://localhost:3000/.well-known/blindgate/proof", {
          method: "POST",
          headers: { "content-type": "application/json", "sec-fetch-site": "same-origin" },
          body: JSON.stringify({ token: aside }),
        }),
      );
      expect(guided.status).toBe(200);
      expect(await guided.json()).toMatchObject({ ok: true, ageOver: 18 });

      // the demo site's own proof, with the wallet's next token; then the age session cookie travels
      await context.unroute(`${siteUrl}/.well-known/blindgate/proof`);
      await clickToClose(walletPage, "#wallet-close");
      await page.goto(`${siteUrl}/adult`);
      const again = context.waitForEvent("page");
      await page.click("[data-prove]");
      const walletAgain = await again;
      await walletAgain.waitForSelector('#wallet-panel[data-view="site-failed"], #wallet-confirm');
      // the token kept for this site was spent meanwhile (by the guide's gate): the site refuses it, the wallet
      // drops it, and the next proof uses a fresh one
      await walletAgain.waitForSelector("#wallet-confirm:not([disabled])");
      await walletAgain.click("#wallet-confirm");
      await walletAgain.waitForSelector('#wallet-panel[data-view="site-failed"]');
      expect(await walletAgain.textContent("#wallet-panel")).toContain("TOKEN_REJECTED");
      await clickToClose(walletAgain, "#wallet-close");
      const third = context.waitForEvent("page");
      await page.click("[data-prove]");
      const walletThird = await third;
      await walletThird.waitForSelector("#wallet-confirm:not([disabled])");
      await walletThird.click("#wallet-confirm");
      await page.waitForSelector("#learned", { timeout: 60_000 });
      await page.goto(`${siteUrl}/mixed`);
      await page.waitForSelector("#adult-section");
      await walletPage.close().catch(() => undefined);
      await Promise.all(pending);

      const toSite = sent.filter((r) => r.url.startsWith(siteUrl));
      const toGateway = sent.filter((r) => r.url.startsWith(gatewayUrl));
      const toProvider = sent.filter((r) => r.url.startsWith(`http://provider.localhost:${base + 1}`));
      expect(toSite.some((r) => r.cookie?.includes("blindgate-age=") === true)).toBe(true); // the recorder sees cookies
      expect(toGateway.length).toBeGreaterThan(3);
      expect(toProvider.length).toBeGreaterThan(1);
      for (const r of [...toGateway, ...toProvider])
        expect(r.cookie, `cookie sent to ${r.url}`).toBeUndefined();
    } finally {
      await browser.close();
    }

    const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
    proc.kill("SIGINT");
    expect(await exited).toBe(0);
    await expect(stat(keyFile)).rejects.toThrow(/ENOENT/); // the key dies with the demo
  });

  it("says which setting to change when its port is taken, without a stack trace", async () => {
    const base = await freeBase();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(base, "127.0.0.1", resolve));
    try {
      const busy = spawn(
        process.execPath,
        ["--import", "tsx", "--conditions=blindgate-source", "functions/local/start.ts"],
        {
          cwd: new URL("../../../", import.meta.url).pathname,
          env: {
            ...process.env,
            BLINDGATE_PORT: String(base),
            BLINDGATE_DATA_KEY_FILE: join(dir, "data-key"),
            BLINDGATE_LOCAL_STATE: join(dir, "busy-state.json"),
          },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let err = "";
      busy.stderr.on("data", (c: Buffer) => {
        err += c.toString();
      });
      const [code] = (await once(busy, "exit")) as [number | null];
      expect(code).toBe(1);
      expect(err).toContain(`npm start: port ${base} on 127.0.0.1 is already in use`);
      expect(err).toContain(`BLINDGATE_PORT=${base + 1000} npm start`);
      expect(err).not.toContain("EADDRINUSE");
      expect(err).not.toMatch(/^\s+at /m);
      await expect(stat(join(dir, "busy-state.json"))).rejects.toThrow(/ENOENT/);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});
