import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { configToEnv } from "../../functions/config.js";
import { startLocalGateway } from "../../functions/local/gateway.js";
import { HTTP_ROUTES } from "../../functions/routes.js";
import {
  entryFor,
  esbuildOptions,
  FUNCTION_IDS,
  type FunctionId,
  MAX_BUNDLE_KIB,
  REPO_ROOT,
  WALLET_ROUTE_FUNCTIONS,
} from "../../infra/constructs/bundling.js";
import { median, report } from "../harness.js";

/*
 * What the stack deploys, per function: bundle size (minified ESM from esbuild with the stack's own options,
 * infra/constructs/bundling.ts) and cold init (a fresh node process: import of the bundle + first invocation,
 * median of 5), against the local store (dynalite) so the first invocation does its real first DynamoDB calls.
 *
 * Baseline of the cold init, same run: a fresh node process importing an empty handler (what any function costs
 * before its own code). The AWS clients themselves are weighed against each other in bench/suites/aws-clients.ts.
 */

const SUITE = "bundles";
const WALLET_ORIGIN = "https://wallet.bench.example";
const RUNS = 5;
const run = promisify(execFile);

/** A first invocation per function: each HTTP route's event (functions/routes.ts), and rotate-keys' schedule. */
const EVENTS: Partial<Record<FunctionId, unknown>> = {
  ...Object.fromEntries(
    Object.values(HTTP_ROUTES).map((r) => [
      r.fn,
      httpEvent(r.method, r.path, {
        "content-type": r.fn === "issue" ? "application/private-token-request" : "application/json",
      }),
    ]),
  ),
  rotateKeys: { "detail-type": "Scheduled Event", source: "aws.events", detail: {} },
};

function httpEvent(method: string, path: string, headers: Record<string, string> = {}) {
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: "",
    headers: { host: "localhost", ...headers },
    requestContext: {
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "bench" },
      requestId: "bench",
      routeKey: `${method} ${path}`,
      stage: "$default",
      timeEpoch: 0,
    },
    isBase64Encoded: false,
  };
}

/**
 * A fresh node process: ms from before `import` of the bundle to the end of its first invocation. The answer must
 * be a real one (HTTP status below 500, or the rotation report): a cold start that fails measures nothing.
 */
async function coldInit(
  bundle: string,
  event: unknown,
  env: Record<string, string>,
  walletRoute: boolean,
): Promise<number> {
  const script = [
    "const t0 = performance.now();",
    `const { handler } = await import(${JSON.stringify(bundle)});`,
    `const out = await handler(${JSON.stringify(event)}, { awsRequestId: "bench", getRemainingTimeInMillis: () => 10000 });`,
    "const ms = performance.now() - t0;",
    'if (typeof out?.statusCode === "number" && out.statusCode >= 500) throw new Error("status " + out.statusCode);',
    // A wallet route's bundle carries its CORS wrapper: the answer names the wallet's origin.
    walletRoute
      ? `if (out.headers?.["access-control-allow-origin"] !== ${JSON.stringify(WALLET_ORIGIN)}) throw new Error("no CORS");`
      : "",
    "process.stdout.write(String(ms));",
  ].join("\n");
  const { stdout } = await run(
    process.execPath,
    // No --enable-source-maps: the deployed packages carry no map (bundling.ts, SOURCEMAP_DIR).
    ["--no-warnings", "--input-type=module", "-e", script],
    { cwd: REPO_ROOT, env: { ...process.env, ...env, BLINDGATE_QUIET: "1" } },
  );
  return Number(stdout);
}

/** The package that weighs most in a bundle's output (minified bytes), from esbuild's metafile. */
function heaviestPackage(metafile: esbuild.Metafile | undefined): [string, number] {
  const output = Object.values(metafile?.outputs ?? {}).find((o) => o.entryPoint !== undefined);
  const byPackage = new Map<string, number>();
  for (const [file, input] of Object.entries(output?.inputs ?? {})) {
    const name =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split("/").slice(0, 2).join("/");
    byPackage.set(name, (byPackage.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...byPackage].sort((a, b) => b[1] - a[1])[0] ?? ["none", 0];
}

export default async function bundles(): Promise<void> {
  mkdirSync(join(REPO_ROOT, "cdk.out"), { recursive: true });
  const out = mkdtempSync(join(REPO_ROOT, "cdk.out", "bench-bundles-"));
  const empty = join(out, "empty.mjs");
  writeFileSync(empty, 'export const handler = async () => ({ statusCode: 200, headers: {}, body: "" });\n');
  const gateway = await startLocalGateway({ wallet: false });
  try {
    const env = {
      ...configToEnv(gateway.config),
      AWS_REGION: "eu-west-3",
      BLINDGATE_WALLET_ORIGIN: WALLET_ORIGIN,
    };
    for (const fn of FUNCTION_IDS) {
      const walletRoute = WALLET_ROUTE_FUNCTIONS.includes(fn);
      const outfile = join(out, `${fn}.mjs`);
      const { metafile } = await esbuild.build({ ...esbuildOptions(entryFor(fn)), outfile, metafile: true });
      const bytes = readFileSync(outfile);
      report({
        suite: SUITE,
        name: `${fn} bundle (minified)`,
        value: bytes.length / 1024,
        unit: "KiB",
        target: `< ${MAX_BUNDLE_KIB} KiB`,
      });
      const [heaviest, heaviestBytes] = heaviestPackage(metafile);
      report({
        suite: SUITE,
        name: `${fn} bundle: largest package ${heaviest}`,
        value: heaviestBytes / 1024,
        unit: "KiB",
      });
      report({
        suite: SUITE,
        name: `${fn} bundle (gzip, ~ zip in the Lambda package)`,
        value: gzipSync(bytes).length / 1024,
        unit: "KiB",
      });
      // Interleave the two cold starts so machine drift hits both.
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        a.push(await coldInit(outfile, EVENTS[fn], env, walletRoute));
        b.push(await coldInit(empty, EVENTS[fn], env, false));
      }
      const cold = median(a);
      const base = median(b);
      report({
        suite: SUITE,
        name: `${fn} cold init (import + first invocation, median of ${RUNS})`,
        value: cold,
        unit: "ms",
        baseline: { name: "an empty handler, same node", value: base, unit: "ms" },
        ratio: cold / base,
        target: "< 150 ms",
      });
    }
  } finally {
    await gateway.close();
    rmSync(out, { recursive: true, force: true });
  }
}
