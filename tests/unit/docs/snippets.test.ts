import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { siteSnippet } from "../../../functions/local/site-snippet.js";

/*
 * The code a newcomer copies compiles: every ```ts block of the README and of docs/*.md, and the server code
 * `npm start` prints, type-checked together by the repository's TypeScript under its strict options (the
 * `@blindgate/sdk` of this checkout, resolved by package name as a user's code resolves it).
 *
 * A block that continues an earlier one (it uses a `gate` made above, or returns from a handler) says what it
 * needs in an HTML comment right above it, invisible once rendered:
 *
 *   <!-- compiled with:
 *   declare const gate: import("@blindgate/sdk/site").AgeGate;
 *   export async function handle(request: Request) {
 *   ---
 *   }
 *   -->
 *
 * The part before `---` goes above the block, the part after it below. Nothing else is added, so a block that
 * drifts from the SDK fails here.
 */

const root = fileURLToPath(new URL("../../../", import.meta.url));
// Inside node_modules: package names resolve as from the repository, and the repository's tsconfig skips it.
const outDir = join(root, "node_modules", ".cache", `doc-snippets-${process.pid}`);

interface Snippet {
  readonly source: string;
  readonly line: number;
  readonly code: string;
}

/** The ```ts blocks of a markdown text, each with the context its comment gives. */
function extractSnippets(source: string, markdown: string): Snippet[] {
  const lines = markdown.split("\n");
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i] ?? "")) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${source}:${i + 1}: a code block is not closed`);
    let before = "";
    let after = "";
    if (lines[i - 1] === "-->") {
      const open = lines.lastIndexOf("<!-- compiled with:", i - 1);
      if (open < 0) throw new Error(`${source}:${i}: a comment above a block that is not "compiled with:"`);
      const context = lines.slice(open + 1, i - 1);
      const split = context.indexOf("---");
      before = (split < 0 ? context : context.slice(0, split)).join("\n");
      after = split < 0 ? "" : context.slice(split + 1).join("\n");
    }
    const body = lines.slice(i + 1, end).join("\n");
    out.push({ source, line: i + 1, code: [before, body, after].filter((part) => part !== "").join("\n") });
    i = end;
  }
  return out;
}

afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

describe("docs snippets", () => {
  it("finds the blocks and their context", () => {
    const md =
      "text\n<!-- compiled with:\nconst a = 1;\n---\nvoid a;\n-->\n```ts\nuse(a);\n```\n```sh\nnpm start\n```\n";
    const [one, ...rest] = extractSnippets("x.md", md);
    expect(rest).toEqual([]);
    expect(one?.line).toBe(7);
    expect(one?.code).toBe("const a = 1;\nuse(a);\nvoid a;");
  });

  it("names the site's secrets alike everywhere: BLINDGATE_SITE_KEY and AGE_SESSION_SECRET", async () => {
    const docs = [
      "README.md",
      ...(await readdir(join(root, "docs"))).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`),
    ];
    const names = new Map<string, string[]>();
    const texts = await Promise.all(docs.map((doc) => readFile(join(root, doc), "utf8")));
    texts.push(siteSnippet("http://127.0.0.1:8787", "/k"));
    docs.push("npm start");
    for (const [i, text] of texts.entries()) {
      for (const [, name = ""] of text.matchAll(/process\.env\.([A-Z0-9_]+)/g)) {
        names.set(name, [...(names.get(name) ?? []), docs[i] ?? ""]);
      }
    }
    const secrets = [...names.keys()].filter((n) => /SECRET|SITE_KEY/.test(n)).sort();
    expect(secrets).toEqual(["AGE_SESSION_SECRET", "BLINDGATE_SITE_KEY"]);
  });

  it("every TypeScript block of the README and the guides, and the code npm start prints, compiles under strict options", async () => {
    const docs = [
      "README.md",
      ...(await readdir(join(root, "docs"))).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`),
    ];
    const snippets: Snippet[] = [];
    for (const doc of docs) snippets.push(...extractSnippets(doc, await readFile(join(root, doc), "utf8")));
    // The guides hold about twenty blocks; finding none would mean the extraction broke, not that all is well.
    expect(snippets.length).toBeGreaterThan(10);
    snippets.push({
      source: "npm start (functions/local/site-snippet.ts)",
      line: 1,
      code: siteSnippet("http://127.0.0.1:8787", "/home/me/.config/blindgate/site-key-8787").replace(
        /^ {2}/gm,
        "",
      ),
    });

    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    const files: string[] = [];
    const where = new Map<string, string>();
    for (const [i, snippet] of snippets.entries()) {
      const name = `snippet-${i}.ts`;
      // `export {}` makes every block a module of its own, as each is in a reader's project.
      await writeFile(join(outDir, name), `${snippet.code}\nexport {};\n`);
      files.push(name);
      where.set(name, `${snippet.source}:${snippet.line}`);
    }
    await writeFile(join(outDir, "package.json"), '{ "type": "module" }\n');
    await writeFile(
      join(outDir, "tsconfig.json"),
      JSON.stringify({
        extends: join(root, "tsconfig.base.json"),
        // Relative imports in the guides are from the repository's root (e.g. ./functions/local/gateway.js).
        compilerOptions: { noEmit: true, types: ["node"], rootDirs: [root, outDir] },
        files,
      }),
    );
    const tsc = join(root, "node_modules", ".bin", "tsc");
    const result = await promisify(execFile)(tsc, ["-p", join(outDir, "tsconfig.json")], { cwd: root }).then(
      () => "",
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    // Name each failure by its document and line, not by the temporary file.
    const report = result.replace(/snippet-\d+\.ts/g, (name) => where.get(name) ?? name);
    expect(report).toBe("");
  }, 120_000);
});
