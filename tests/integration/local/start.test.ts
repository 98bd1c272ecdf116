import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/*
 * The README's promise: `npm start` runs the gateway, the wallet, the demo provider and the demo site, prints
 * where they are, and Ctrl-C stops it cleanly. Run as a user would (a separate process), on free ports.
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

describe("npm start", () => {
  let dir: string;
  afterAll(() => (dir === undefined ? undefined : rm(dir, { recursive: true, force: true })));

  it("serves every part, prints the URLs and the demo credentials, and stops cleanly on Ctrl-C", async () => {
    dir = await mkdtemp(join(tmpdir(), "blindgate-start-"));
    const base = await freeBase();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=blindgate-source", "functions/local/start.ts"],
      {
        cwd: new URL("../../../", import.meta.url).pathname,
        env: { ...process.env, BLINDGATE_PORT: String(base), BLINDGATE_DATA_KEY_FILE: join(dir, "data-key") },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${out}`)), 90_000);
      child.stdout.on("data", () => {
        if (out.includes("Ctrl-C stops everything")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${out}`)));
    });
    expect(out).toContain(`http://127.0.0.1:${base}/wallet/`);
    expect(out).toMatch(/demo site API key bgs_[A-Za-z0-9_-]{20,}/);

    const gateway = `http://127.0.0.1:${base}`;
    const directory = await fetch(`${gateway}/.well-known/private-token-issuer-directory`);
    expect(directory.status).toBe(200);
    expect(((await directory.json()) as { "token-keys": unknown[] })["token-keys"]).toHaveLength(10);
    const wallet = await fetch(`${gateway}/wallet/`);
    expect(wallet.status).toBe(200);
    expect(wallet.headers.get("referrer-policy")).toBe("no-referrer");
    expect(await (await fetch(`${gateway}/wallet/config.json`)).json()).toEqual({
      gatewayUrl: gateway,
      issuerName: "localhost",
    });
    const providers = (await (await fetch(`${gateway}/v1/providers`)).json()) as {
      providers: { verifyUrl: string }[];
    };
    expect(providers.providers[0]?.verifyUrl).toBe(`http://127.0.0.1:${base + 1}/verify`);
    const form = await fetch(
      `http://127.0.0.1:${base + 1}/verify?wallet_origin=${encodeURIComponent(gateway)}&state=state-123456`,
    );
    expect(await form.text()).toContain("stand-in for a real age check");
    expect((await fetch(`http://127.0.0.1:${base + 2}/`)).status).toBe(200);
    const adult = await fetch(`http://127.0.0.1:${base + 2}/adult`);
    expect(adult.status).toBe(401);
    expect(adult.headers.get("www-authenticate")).toMatch(/^PrivateToken challenge=/);

    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });
});
