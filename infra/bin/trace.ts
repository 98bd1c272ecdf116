import { readFileSync } from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";

/*
 * Maps a stack trace from a function's log back to the TypeScript sources. The Lambda packages hold no source
 * maps (infra/constructs/bundling.ts, SOURCEMAP_DIR): the synth keeps each one beside the cloud assembly, named
 * by the sha256 of the bundle it belongs to.
 *
 *   npx tsx infra/bin/trace.ts cdk.out/sourcemaps/issue/<sha256>.map < trace.txt
 *
 * Every `index.mjs:<line>:<column>` in the input is followed by its original `file:line:column`.
 */

const [mapFile] = process.argv.slice(2);
if (mapFile === undefined) {
  process.stderr.write("usage: tsx infra/bin/trace.ts <source map> < stack trace\n");
  process.exit(2);
}
const map = new SourceMap(JSON.parse(readFileSync(mapFile, "utf8")) as SourceMapPayload);
const input = readFileSync(0, "utf8");
process.stdout.write(
  input.replace(/index\.mjs:(\d+):(\d+)/g, (whole, line: string, column: string) => {
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as {
      originalSource?: string;
      originalLine?: number;
      originalColumn?: number;
    };
    if (entry.originalSource === undefined) return whole;
    return `${whole} (${entry.originalSource}:${(entry.originalLine ?? 0) + 1}:${(entry.originalColumn ?? 0) + 1})`;
  }),
);
