/**
 * `npm run bench`: runs every suite in bench/suites/ (or those named on the command line), prints each figure
 * beside its same-run baseline, and writes bench/results.json.
 */
import { readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { allFigures } from "./harness.js";

const dir = new URL("./suites/", import.meta.url);
const wanted = process.argv.slice(2);
const files = (await readdir(dir)).filter((f) => f.endsWith(".ts")).sort();
console.log(
  `blindgate bench — node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "?"}`,
);
for (const file of files) {
  const name = file.replace(/\.ts$/, "");
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.log(`\n# ${name}`);
  const suite = (await import(new URL(file, dir).href)) as { default: () => Promise<void> };
  await suite.default();
}
const results = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? "unknown",
  figures: allFigures(),
};
await writeFile(new URL("./results.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log("\nwrote bench/results.json");
