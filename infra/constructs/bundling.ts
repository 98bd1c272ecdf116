import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FUNCTION_HANDLERS, type FunctionId, HTTP_ROUTES } from "../../functions/routes.js";

/*
 * How every function is bundled: one set of esbuild options, read by the stack (NodejsFunction) and by the
 * bundle benchmark (bench/suites/bundles.ts), so the figures are those of what is deployed.
 *
 * - ESM for Node 22 (top-level await allowed, import.meta), minified, with source maps (not their sources).
 * - The "blindgate-source" condition makes `@blindgate/sdk/...` resolve to the SDK's TypeScript sources.
 * - No module is replaced: a function runs the AWS client it imports (@blindgate/aws-json), the one the tests and
 *   the local server run. Every dependency is bundled, none taken from the Lambda runtime, whose copies change
 *   under us without notice: docs/deploy.md has the measurements.
 * - CommonJS dependencies that call require() on Node built-ins (jose's and middy's are ESM; some of the EU AV
 *   provider's are not): the banner gives the ESM bundle a real `require`.
 */

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const HANDLERS_DIR = join(REPO_ROOT, "functions", "handlers");
export const WALLET_DIR = join(REPO_ROOT, "wallet");

/** The Lambda handler files: function id -> file name (without .ts) in the handlers directory. */
export const HANDLER_FILES = FUNCTION_HANDLERS;
export type { FunctionId };
export const FUNCTION_IDS = Object.keys(HANDLER_FILES) as FunctionId[];

export const NODE_TARGET = "node22";
// Setting any condition drops esbuild's default "module" one: without it the SDK resolves to its CommonJS builds,
// which drag in browser code (bowser) and double the bundle.
export const ESBUILD_CONDITIONS = ["blindgate-source", "module"] as const;
export const REQUIRE_SHIM =
  "import { createRequire as __blindgateCreateRequire } from 'node:module'; const require = __blindgateCreateRequire(import.meta.url);";
export const MAIN_FIELDS = ["module", "main"] as const;

/** Largest minified bundle a function may have (KiB): the bench's target, enforced by the bundle tests. */
export const MAX_BUNDLE_KIB = 250;

/**
 * Source maps are written beside the cloud assembly, not into the Lambda package (they doubled every zip, and
 * `--enable-source-maps` cost ~13 ms of cold start): `cdk.out/sourcemaps/<function>/<sha256 of index.mjs>.map`.
 * `npx tsx infra/bin/trace.ts <map> < stack.txt` maps a logged stack trace back to the TypeScript.
 */
export const SOURCEMAP_DIR = join(REPO_ROOT, "cdk.out", "sourcemaps");

/** Functions the wallet calls from its own origin: deployed from handlers/wallet/<file>.ts, their CORS wrapper. */
export const WALLET_ROUTE_FUNCTIONS: readonly FunctionId[] = Object.values(HTTP_ROUTES)
  .filter((r) => r.wallet)
  .map((r) => r.fn);

/** The file esbuild bundles for a function: its handler module, or for a wallet route its CORS-wrapped entry. */
export function entryFor(fn: FunctionId, handlersDir: string = HANDLERS_DIR): string {
  const file = `${HANDLER_FILES[fn]}.ts`;
  return WALLET_ROUTE_FUNCTIONS.includes(fn) ? join(handlersDir, "wallet", file) : join(handlersDir, file);
}

/** The same options as esbuild's build API (used by the bench and the tests). */
export function esbuildOptions(entry: string) {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: "node" as const,
    format: "esm" as const,
    target: NODE_TARGET,
    minify: true,
    sourcemap: "external" as const,
    sourcesContent: false,
    conditions: [...ESBUILD_CONDITIONS],
    mainFields: [...MAIN_FIELDS],
    banner: { js: REQUIRE_SHIM },
    absWorkingDir: REPO_ROOT,
    logLevel: "silent" as const,
  };
}
