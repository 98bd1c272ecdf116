import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/*
 * Build the wallet's static pages into `outDir`: index.html, wallet.css, favicon.svg and wallet.js (the SDK's protocol and
 * browser parts bundled in, from source), and the return page a provider sends the person back to (return.html,
 * return.js). The host adds config.json ({ gatewayUrl, issuerName }) and the headers
 * of docs/wallet.md. Used by the local server at start and by the CDK stack at synth.
 */

const here = fileURLToPath(new URL(".", import.meta.url));

export const WALLET_FILES = [
  "index.html",
  "wallet.css",
  "wallet.js",
  "favicon.svg",
  "return.html",
  "return.js",
] as const;

export async function buildWallet(outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [
      { in: join(here, "src", "main.ts"), out: "wallet" },
      { in: join(here, "src", "return.ts"), out: "return" },
    ],
    outdir: outDir,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    conditions: ["blindgate-source"],
    logLevel: "silent",
    legalComments: "none",
  });
  await copyFile(join(here, "index.html"), join(outDir, "index.html"));
  await copyFile(join(here, "wallet.css"), join(outDir, "wallet.css"));
  await copyFile(join(here, "favicon.svg"), join(outDir, "favicon.svg"));
  await copyFile(join(here, "return.html"), join(outDir, "return.html"));
  return [...WALLET_FILES];
}
