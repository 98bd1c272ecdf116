// The prebuilt browser part of the SDK (prove(), <age-gate>, describeError), for sites that serve a file rather
// than run a bundler: esbuild bundles src/browser/index.ts with every dependency inlined (zod/mini included), so
// the files import nothing by a bare name and run as they are in any browser.
//
//   dist/browser/blindgate-browser.min.js        ES module, minified:  import { prove } from "/blindgate.js"
//   dist/browser/blindgate-browser.global.min.js classic script, minified, a CDN-style single file that defines
//                                                `globalThis.blindgate` (prove, defineAgeGate, ...)
//
// Run by `npm run build` after tsc; `node scripts/build-browser.mjs --out <dir>` writes elsewhere (tests).
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outFlag = process.argv.indexOf("--out");
const outDir = outFlag > 0 ? resolve(process.argv[outFlag + 1]) : join(here, "..", "dist", "browser");
await mkdir(outDir, { recursive: true });

const common = {
  entryPoints: [join(here, "..", "src", "browser", "index.ts")],
  bundle: true,
  minify: true,
  platform: "browser",
  // Browsers from 2021 on: BigInt, optional chaining, private fields and top-level ES modules all native.
  target: ["es2022"],
  legalComments: "none",
  // No source map: it would name files under node_modules/ that the package does not ship. The unbundled
  // dist/browser/*.js keep their maps to src/ for debugging.
  logLevel: "warning",
};

await build({ ...common, format: "esm", outfile: join(outDir, "blindgate-browser.min.js") });
await build({
  ...common,
  format: "iife",
  globalName: "blindgate",
  outfile: join(outDir, "blindgate-browser.global.min.js"),
});
