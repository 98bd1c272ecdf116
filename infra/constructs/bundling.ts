import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { FUNCTION_HANDLERS, type FunctionId, HTTP_ROUTES } from "../../functions/routes.js";

/*
 * How every function is bundled: one set of esbuild options, read by the stack (NodejsFunction) and by the
 * bundle benchmark (bench/suites/bundles.ts), so the figures are those of what is deployed.
 *
 * - ESM for Node 22 (top-level await allowed, import.meta), minified, with source maps (not their sources).
 * - The "blindgate-source" condition makes `@blindgate/sdk/...` resolve to the SDK's TypeScript sources.
 * - @aws-sdk/* is bundled, not taken from the runtime: docs/deploy.md has the measurements. The runtime's copy
 *   changes under us without notice; the bundled one is the version tested, tree-shaken to the two clients used.
 * - @aws-sdk/credential-provider-node is replaced by lambda-credentials.ts (the role's credentials from the
 *   environment): the rest of the SDK's credential chain is never used on Lambda and weighs a third of the bundle.
 * - A few CommonJS dependencies of the AWS SDK call require() on Node built-ins: the banner gives the ESM bundle
 *   a real `require`.
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

/**
 * Module replacements inside the bundles (esbuild `alias`), paths relative to the repository root. Each keeps the
 * interface the functions use and drops what a Lambda function never runs (issue bundle, esbuild 0.28, @aws-sdk
 * 3.1164: 301 KiB with the SDK's clients, 121 KiB with these):
 *
 *   credential-provider-node  environment credentials only, no SSO/INI/STS clients
 *   client-dynamodb           the JSON protocol over the SDK's signer and HTTP handler (lambda-aws-json.ts)
 *   client-kms                Decrypt and GenerateDataKey, the same way
 */
export const ALIASES: Readonly<Record<string, string>> = {
  "@aws-sdk/credential-provider-node": "./infra/constructs/lambda-credentials.ts",
  "@aws-sdk/client-dynamodb": "./infra/constructs/lambda-dynamodb.ts",
  "@aws-sdk/client-kms": "./infra/constructs/lambda-kms.ts",
};

/** Largest minified bundle a function may have (KiB): the bench's target, enforced by the bundle tests. */
export const MAX_BUNDLE_KIB = 250;

/**
 * Source maps are written beside the cloud assembly, not into the Lambda package (they doubled every zip, and
 * `--enable-source-maps` cost ~13 ms of cold start): `cdk.out/sourcemaps/<function>/<sha256 of index.mjs>.map`.
 * `npx tsx infra/bin/trace.ts <map> < stack.txt` maps a logged stack trace back to the TypeScript.
 */
export const SOURCEMAP_DIR = join(REPO_ROOT, "cdk.out", "sourcemaps");

/** Whether @aws-sdk/* goes into the bundle (true) or comes from the Lambda runtime (false). */
export const BUNDLE_AWS_SDK = true;

/** Functions the wallet calls from its own origin: bundled inside the CORS wrapper (wallet-cors.ts). */
export const WALLET_ROUTE_FUNCTIONS: readonly FunctionId[] = Object.values(HTTP_ROUTES)
  .filter((r) => r.wallet)
  .map((r) => r.fn);
export const WALLET_CORS_ENTRY = join(REPO_ROOT, "infra", "constructs", "wallet-cors-entry.ts");

/**
 * What esbuild bundles for a function: its handler module, or for a wallet route the CORS wrapper with the
 * handler module behind the "blindgate-wallet-route" alias (paths relative to the repository root).
 */
export function entryFor(
  fn: FunctionId,
  handlersDir: string = HANDLERS_DIR,
): { entry: string; alias: Record<string, string> } {
  const handler = join(handlersDir, `${HANDLER_FILES[fn]}.ts`);
  if (!WALLET_ROUTE_FUNCTIONS.includes(fn)) return { entry: handler, alias: {} };
  return {
    entry: WALLET_CORS_ENTRY,
    alias: { "blindgate-wallet-route": `./${relative(REPO_ROOT, handler)}` },
  };
}

/** The same options as esbuild's build API (used by the bench). */
export function esbuildOptions(
  entry: string,
  bundleAwsSdk: boolean = BUNDLE_AWS_SDK,
  extraAlias: Record<string, string> = {},
) {
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
    external: bundleAwsSdk ? [] : ["@aws-sdk/*", "@smithy/*"],
    alias: { ...(bundleAwsSdk ? ALIASES : {}), ...extraAlias },
    absWorkingDir: REPO_ROOT,
    logLevel: "silent" as const,
  };
}
