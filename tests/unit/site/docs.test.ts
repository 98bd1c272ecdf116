import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { GATE_ERROR_STATUS } from "@blindgate/sdk/site";
import { describe, expect, it } from "vitest";

/* The site guide and the site SDK's doc comments, held against the code. */

const root = new URL("../../../", import.meta.url).pathname;
const guidePath = join(root, "docs", "site-guide.md");

describe("docs/site-guide.md", () => {
  it("has an error table with exactly the gate's codes and their statuses (GATE_ERROR_STATUS)", async () => {
    const guide = await readFile(guidePath, "utf8");
    const start = guide.indexOf("<!-- error-table");
    const end = guide.indexOf("<!-- /error-table -->");
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    const rows = [...guide.slice(start, end).matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(rows.length).toBeGreaterThan(10);
    expect(Object.fromEntries(rows)).toEqual(GATE_ERROR_STATUS);
    expect(new Set(rows.map(([code]) => code)).size).toBe(rows.length); // no code twice
  });

  it("links only to files that exist (errors.md, the README, ...)", async () => {
    const guide = await readFile(guidePath, "utf8");
    const links = [...guide.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1] ?? "")
      .filter((l) => !/^(https?:|#)/.test(l));
    expect(links).toContain("errors.md");
    for (const link of links) {
      const path = join(dirname(guidePath), link.split("#")[0] ?? "");
      expect(
        await stat(path).then(
          () => true,
          () => false,
        ),
        link,
      ).toBe(true);
    }
  });
});

describe("the site SDK's doc comments", () => {
  it("document every export of sdk/src/site where it is declared", async () => {
    const dir = join(root, "sdk", "src", "site");
    const undocumented: string[] = [];
    let exports = 0;
    for (const file of (await readdir(dir)).filter((f) => f.endsWith(".ts") && f !== "index.ts")) {
      const lines = (await readFile(join(dir, file), "utf8")).split("\n");
      for (const [i, line] of lines.entries()) {
        const m =
          /^export (?:declare )?(?:async )?(?:function|const|class|interface|type|enum) ([A-Za-z0-9_]+)/.exec(
            line,
          );
        if (m === null) continue;
        exports++;
        // The line before the declaration closes a TSDoc comment (/** ... */).
        const before = lines[i - 1]?.trim() ?? "";
        const opened = lines
          .slice(0, i)
          .reverse()
          .find((l) => l.trim().startsWith("/**") || l.trim().startsWith("/*"));
        if (!before.endsWith("*/") || !opened?.trim().startsWith("/**"))
          undocumented.push(`${file}: ${m[1]}`);
      }
    }
    expect(exports).toBeGreaterThan(40);
    expect(undocumented).toEqual([]);
  });
});
