import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/*
 * The published package as a user gets it: `npm pack` in sdk/ (its prepack builds dist/), then `npm install` of
 * the tarball into an empty project. The project's other dependencies are links to this repository's copies, so
 * the install runs offline; the SDK itself comes only from the tarball. Then plain Node (no "blindgate-source"
 * condition) and tsc (module nodenext, and bundler) use it as a consumer would.
 */

const run = promisify(execFile);
const root = new URL("../../../", import.meta.url).pathname;
const sdk = join(root, "sdk");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const env = { ...process.env, NODE_OPTIONS: "", npm_config_audit: "false", npm_config_fund: "false" };

let work: string;
let consumer: string;
let installed: string;
let tarballFiles: string[];

interface PackResult {
  filename: string;
  entryCount: number;
  files: { path: string }[];
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "blindgate-pack-"));
  await rm(join(sdk, "dist"), { recursive: true, force: true }); // prepack must build it, not find it
  const { stdout } = await run(npm, ["pack", "--json", "--pack-destination", work], {
    cwd: sdk,
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf("["))) as PackResult[];
  if (packed === undefined) throw new Error("npm pack printed nothing");
  tarballFiles = packed.files.map((f) => f.path);
  consumer = join(work, "consumer");
  // The copy Node would load from sdk/ (its own node_modules first: npm nests a version the root cannot share,
  // as @noble/curves 2.x beside the 1.x other packages need), so every range of the SDK is met offline.
  const link = async (name: string) => {
    const nested = join(sdk, "node_modules", name);
    const found = await stat(nested).then(
      () => true,
      () => false,
    );
    return `file:${found ? nested : join(root, "node_modules", name)}`;
  };
  await run("mkdir", ["-p", consumer]);
  await writeFile(
    join(consumer, "package.json"),
    JSON.stringify({
      name: "consumer",
      private: true,
      type: "module",
      dependencies: {
        "@blindgate/sdk": `file:${join(work, packed.filename)}`,
        jose: await link("jose"),
        zod: await link("zod"),
        "@noble/curves": await link("@noble/curves"),
        "@noble/hashes": await link("@noble/hashes"),
        hono: await link("hono"),
      },
    }),
  );
  await run(npm, ["install", "--offline", "--ignore-scripts", "--no-package-lock"], { cwd: consumer, env });
  installed = join(consumer, "node_modules", "@blindgate", "sdk");
}, 240_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(join(sdk, "dist"), { recursive: true, force: true });
});

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/** Every target path of an export or import map, under every condition. */
function targets(map: unknown): string[] {
  if (typeof map === "string") return [map];
  if (map === null || typeof map !== "object") return [];
  return Object.values(map).flatMap(targets);
}

async function node(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd: consumer, env });
  return stdout.trim();
}

describe("@blindgate/sdk as npm packs it", () => {
  it("ships the build, the sources its maps point at, LICENSE and README: never two files", () => {
    expect(tarballFiles.length).toBeGreaterThan(100);
    for (const path of [
      "LICENSE",
      "README.md",
      "package.json",
      "dist/site/index.js",
      "dist/site/index.d.ts",
      "dist/site/hono.js",
      "dist/site/default-verifier.node.js",
      "src/site/gate.ts",
    ]) {
      expect(tarballFiles).toContain(path);
    }
    expect(tarballFiles.filter((f) => !/^(dist|src)\//.test(f)).sort()).toEqual([
      "LICENSE",
      "README.md",
      "package.json",
    ]);
  });

  it("names no file it does not ship, under any condition (blindgate-source included)", async () => {
    const pkg = JSON.parse(await readFile(join(installed, "package.json"), "utf8")) as {
      exports: Record<string, unknown>;
      imports: Record<string, unknown>;
    };
    const named = [...targets(pkg.exports), ...targets(pkg.imports)];
    expect(named).toContain("./src/site/index.ts"); // the source condition's targets are checked too
    for (const target of named) {
      expect(tarballFiles, target).toContain(target.replace(/^\.\//, ""));
    }
  });

  it("has source maps whose sources are all in the package", async () => {
    const maps = (await filesUnder(join(installed, "dist"))).filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(50);
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(map, "utf8")) as { sources: string[] };
      for (const source of sources) {
        const path = resolve(dirname(map), source);
        expect(relative(installed, path).startsWith(".."), `${map}: ${source}`).toBe(false);
        expect(await exists(path), `${map}: ${source}`).toBe(true);
      }
    }
  });

  it("carries its licence, repository, homepage; ESM; hono an optional peer", async () => {
    const pkg = JSON.parse(await readFile(join(installed, "package.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(pkg.license).toBe("Apache-2.0");
    expect(pkg.type).toBe("module");
    expect(pkg.repository).toMatchObject({ type: "git", directory: "sdk" });
    expect(String(pkg.homepage)).toMatch(/^https:\/\//);
    expect(pkg.peerDependenciesMeta).toEqual({ hono: { optional: true } });
    const license = await readFile(join(installed, "LICENSE"), "utf8");
    expect(license).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    expect(license).toContain("END OF TERMS AND CONDITIONS");
    expect(await readFile(join(root, "LICENSE"), "utf8")).toBe(license);
  });

  it("has a README whose links work on npm (absolute, no paths into the repository)", async () => {
    const readme = await readFile(join(installed, "README.md"), "utf8");
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? "");
    expect(links.length).toBeGreaterThan(2);
    for (const link of links) expect(link, link).toMatch(/^(https:\/\/|#)/);
    expect(readme).toMatch(/ESM-only/);
  });

  it("loads every entry in plain Node from the installed package, by import and by require", async () => {
    const pkg = JSON.parse(await readFile(join(installed, "package.json"), "utf8")) as {
      exports: Record<string, unknown>;
    };
    const entries = Object.keys(pkg.exports).filter(
      (e) => e !== "./package.json" && e !== "./browser.global.js",
    );
    expect(entries.sort()).toEqual([
      "./browser",
      "./browser.js",
      "./client",
      "./node",
      "./protocol",
      "./protocol/internal",
      "./provider",
      "./site",
      "./site/hono",
      "./testing",
    ]);
    for (const entry of entries) {
      const name = `@blindgate/sdk/${entry.slice(2)}`;
      const count = await node([
        "--input-type=module",
        "-e",
        `const m = await import(${JSON.stringify(name)}); console.log(Object.keys(m).length)`,
      ]);
      expect(Number(count), name).toBeGreaterThan(0);
    }
    // CommonJS: require(esm), Node >= 20.19 and >= 22.12 (the README says so).
    const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
    if ((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major === 23 || major >= 24) {
      expect(await node(["-e", `console.log(typeof require("@blindgate/sdk/site").createAgeGate)`])).toBe(
        "function",
      );
    }
  });

  it("ships the prebuilt browser part: minified, self-contained (no bare imports), as a module and a global", async () => {
    for (const file of [
      "dist/browser/blindgate-browser.min.js",
      "dist/browser/blindgate-browser.global.min.js",
    ]) {
      expect(tarballFiles).toContain(file);
      const code = await readFile(join(installed, file), "utf8");
      // No import of anything by name (nor by path): the file runs as served.
      expect(code).not.toMatch(/\bimport\s*["'{*]|\bfrom\s*["']|\brequire\(/);
      expect(code.split("\n").length).toBeLessThan(10); // minified
      expect(code.length).toBeLessThan(64 * 1024);
    }
    // The module, by the package's own subpath, has the browser entry's names.
    const names = await node([
      "--input-type=module",
      "-e",
      `const m = await import("@blindgate/sdk/browser.js"); console.log(Object.keys(m).sort().join(","))`,
    ]);
    expect(names.split(",")).toEqual(
      expect.arrayContaining(["defineAgeGate", "describeError", "pickLang", "prove"]),
    );
    // The classic script defines one global, blindgate (beside zod's own __zod_globalConfig), and nothing else.
    const global = await node([
      "-e",
      `const vm = require("node:vm"); const fs = require("node:fs"); const sandbox = {};
       vm.runInNewContext(fs.readFileSync(require.resolve("@blindgate/sdk/browser.global.js"), "utf8"), sandbox);
       const names = Object.keys(sandbox).filter((n) => n !== "__zod_globalConfig");
       console.log(names.join(","), typeof sandbox.blindgate.prove);`,
    ]);
    expect(global).toBe("blindgate function");
  });

  it("runs a site gate and a provider grant from the installed package", async () => {
    const script = `
      const { createAgeGate } = await import("@blindgate/sdk/site");
      const { generateGrantKey, signGrant } = await import("@blindgate/sdk/provider");
      const gate = createAgeGate({ issuers: { url: "https://gateway.example", siteKey: "k" }, minAge: 18,
        session: { secret: "0123456789abcdef0123456789abcdef" }, logger: false });
      const key = await generateGrantKey();
      const grant = await signGrant(key, { issuer: "gateway.example", providerId: "p", ageOver: 18, maxTokens: 5 });
      console.log(gate.minAge, grant.split(".").length);`;
    expect(await node(["--input-type=module", "-e", script])).toBe("18 3");
  });

  it.each([
    ["nodenext", "nodenext"],
    ["esnext", "bundler"],
  ])(
    "type-checks a consumer with module %s / moduleResolution %s, lib checks on",
    async (module, resolution) => {
      await writeFile(
        join(consumer, "consumer.ts"),
        `import { concat, type Token, TokenChallenge, type TokenRequest, type TokenResponse } from "@blindgate/sdk/protocol";
import { createAgeGate, type GateResult, toNodeMiddleware } from "@blindgate/sdk/site";
import { type AgeGateEnv, honoAgeGate } from "@blindgate/sdk/site/hono";
import type { MiddlewareHandler } from "hono";

const gate = createAgeGate({
  issuers: { url: "https://gateway.example", siteKey: "k" },
  minAge: 18,
  session: { secret: "0123456789abcdef0123456789abcdef" },
});
export const middleware = toNodeMiddleware(gate);
export const hono: MiddlewareHandler<AgeGateEnv> = honoAgeGate(gate);
export async function check(request: Request): Promise<number | undefined> {
  const result: GateResult = await gate.check(request);
  return result.ok ? result.ageOver : undefined;
}
// Express's Request carries ageOver once the SDK's types are loaded.
export function ageOf(req: Express.Request): number | undefined {
  return req.ageOver;
}
// Wire bytes are fetch bodies without casts.
export const body: BodyInit = TokenChallenge.crossOrigin("gateway.example").encode();
type Encoded = ReturnType<Token["encode"] | TokenRequest["encode"] | TokenResponse["encode"] | typeof concat>;
export function post(bytes: Encoded): Promise<Response> {
  return fetch("https://gateway.example/token-request", { method: "POST", body: bytes });
}
// A wrong use is caught: the gate's result is not a number.
// @ts-expect-error
export const wrong: number = gate.check(new Request("https://site.example/"));
`,
      );
      const config = {
        compilerOptions: {
          module,
          moduleResolution: resolution,
          target: "es2022",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
          lib: ["ES2023", "DOM", "DOM.Iterable"],
        },
        files: ["consumer.ts"],
      };
      await writeFile(join(consumer, "tsconfig.json"), JSON.stringify(config));
      const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
      const result = await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: consumer, env }).then(
        (r) => r.stdout,
        (e: { stdout: string }) => e.stdout,
      );
      expect(result).toBe("");
    },
  );
});
