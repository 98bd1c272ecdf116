import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/*
 * Per-container state is held one way: built once by createDeps (functions/runtime.ts) and passed in Deps. A
 * module-level Map, WeakMap or Set would be a second way — state shared by every Deps of a process (the local
 * server's, the tests'), invisible from the deps object. This reads every gateway source file and refuses one.
 */

const ROOT = join(import.meta.dirname, "../../../functions");

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** A top-level declaration whose value is a mutable collection, or a per-object cache maker. */
const MODULE_STATE = /^(export )?(const|let) \w+(: [^=]+)? = (new (Weak)?(Map|Set)\b|perDeps\()/;

describe("per-container state", () => {
  it("no module of the gateway keeps a mutable collection of its own", async () => {
    const files = await sources(ROOT);
    expect(files.length).toBeGreaterThan(40);
    const found: string[] = [];
    for (const file of files) {
      const lines = (await readFile(file, "utf8")).split("\n");
      lines.forEach((line, i) => {
        if (MODULE_STATE.test(line)) found.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });
});
