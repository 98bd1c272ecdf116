/**
 * `npm run bench`: runs every suite in bench/suites/ (or those named on the command line), prints each figure
 * beside its same-run baseline, a summary of the targets met and missed, and writes bench/results.json (the
 * figures of suites not run this time are kept from the previous file).
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import { allFigures, type Figure } from "./harness.js";

const dir = new URL("./suites/", import.meta.url);
const resultsFile = new URL("./results.json", import.meta.url);
const wanted = process.argv.slice(2);
const files = (await readdir(dir)).filter((f) => f.endsWith(".ts")).sort();
console.log(
  `blindgate bench — node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "?"}, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
const ran = new Set<string>();
for (const file of files) {
  const name = file.replace(/\.ts$/, "");
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.log(`\n# ${name}`);
  ran.add(name);
  const suite = (await import(new URL(file, dir).href)) as { default: () => Promise<void> };
  await suite.default();
}

const judged = allFigures().filter((f) => f.pass !== undefined);
const missed = judged.filter((f) => f.pass === false);
console.log(`\n# targets: ${judged.length - missed.length} of ${judged.length} met`);
for (const f of missed) console.log(`FAIL ${f.suite} | ${f.name} (target ${f.target})`);

let kept: Figure[] = [];
try {
  const previous = JSON.parse(await readFile(resultsFile, "utf8")) as { figures?: Figure[] };
  kept = (previous.figures ?? []).filter((f) => !ran.has(f.suite));
} catch {
  // no previous results
}
const results = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? "unknown",
  loadavg: os.loadavg(),
  figures: [...kept, ...allFigures()],
};
await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
console.log("\nwrote bench/results.json");
