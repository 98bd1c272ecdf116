import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/*
 * The published package as a user gets it: built to dist/ with tsc, then imported by plain Node without the
 * "blindgate-source" condition, through every entry of the export map.
 */

const run = promisify(execFile);
const root = new URL("../../../", import.meta.url);
const sdk = new URL("sdk/", root);

describe("@blindgate/sdk as published", () => {
  beforeAll(async () => {
    await run(
      process.execPath,
      [new URL("node_modules/typescript/bin/tsc", root).pathname, "-p", "tsconfig.build.json"],
      {
        cwd: sdk.pathname,
      },
    );
  }, 120_000);
  afterAll(() => rm(new URL("dist/", sdk), { recursive: true, force: true }));

  it("every entry of the export map loads from dist in plain Node, with its types", async () => {
    const pkg = JSON.parse(await readFile(new URL("package.json", sdk), "utf8")) as {
      exports: Record<string, { types?: string; default?: string }>;
    };
    const entries = Object.keys(pkg.exports).filter((e) => e !== "./package.json");
    expect(entries.sort()).toEqual(["./browser", "./node", "./protocol", "./provider", "./site"]);
    for (const entry of entries) {
      const target = pkg.exports[entry] as { types: string; default: string };
      await readFile(new URL(target.types, sdk)); // the .d.ts exists
      const name = `@blindgate/sdk/${entry.slice(2)}`;
      // A fresh Node process, no custom conditions: it resolves "default" -> dist.
      const { stdout } = await run(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `const m = await import(${JSON.stringify(name)}); console.log(Object.keys(m).length)`,
        ],
        { cwd: root.pathname, env: { ...process.env, NODE_OPTIONS: "" } },
      );
      expect(Number(stdout.trim())).toBeGreaterThan(0);
    }
  });

  it("a site gate and a provider grant work from the built package", async () => {
    const script = `
      const { createAgeGate } = await import("@blindgate/sdk/site");
      const { generateGrantKey, signGrant } = await import("@blindgate/sdk/provider");
      const gate = createAgeGate({ issuers: { url: "https://gateway.example", siteKey: "k" }, minAge: 18,
        session: { secret: "0123456789abcdef0123456789abcdef" } });
      const key = await generateGrantKey();
      const grant = await signGrant(key, { issuer: "gateway.example", providerId: "p", ageOver: 18, maxTokens: 5 });
      console.log(gate.minAge, grant.split(".").length);`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root.pathname,
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    expect(stdout.trim()).toBe("18 3");
  });
});
