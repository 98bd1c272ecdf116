import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AxeResults, Result } from "axe-core";
import type { Page } from "playwright-core";

/*
 * Accessibility, checked by axe-core in the page as the person sees it. The pages send a strict
 * Content-Security-Policy (script-src 'self', no inline script): an injected <script> tag would be refused, and
 * Playwright's bypassCSP would switch the policy off for the whole test, so a page that broke its own CSP would pass.
 * Instead axe's source is evaluated through the DevTools protocol (page.evaluate), which the policy does not govern,
 * and axe itself needs no eval: the pages keep their real CSP while they are checked.
 */

/** The rules run: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices (landmarks, headings). */
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];

let axeSource: Promise<string> | undefined;

function source(): Promise<string> {
  axeSource ??= readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  return axeSource;
}

/** axe's violations on the page (its source injected once per document). */
export async function axeViolations(page: Page): Promise<Result[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(`${await source()}\n;true`);
  const results = await page.evaluate(
    (tags) =>
      (
        window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }
      ).axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] }),
    AXE_TAGS,
  );
  return results.violations;
}

/** The violations in words: one line per rule, then each element it found, with axe's own summary. */
export function describeViolations(violations: Result[]): string {
  return violations
    .map((v) => {
      const nodes = v.nodes.map(
        (n) => `    ${n.target.join(" ")}\n      ${(n.failureSummary ?? "").replace(/\n/g, "\n      ")}`,
      );
      return `  ${v.id} (${v.impact ?? "?"}): ${v.help} — ${v.helpUrl}\n${nodes.join("\n")}`;
    })
    .join("\n");
}

/** Fails with the list of violations when axe finds any on the page; `name` says which state it was. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  const violations = await axeViolations(page);
  if (violations.length > 0)
    throw new Error(
      `${name} (${page.url()}): ${violations.length} accessibility violation(s)\n${describeViolations(violations)}`,
    );
}

/**
 * What axe cannot see: whether the keyboard's focus shows (WCAG 2.4.7) with enough contrast (1.4.11, 3:1). Tabs
 * through the page from where its focus is, at most `maxStops` times, until focus comes back to an element already
 * seen or leaves the page; at each stop the focused element must draw an outline at least 2px wide (or the
 * browser's own two-tone ring, `auto`) whose colour has 3:1 against the background it is drawn on (the first
 * ancestor with a background; the element's own when the outline is inset), and a text field's border must have
 * 3:1 against its surroundings too (1.4.11: the field's boundary). The problems in words; empty when all is well.
 * The number of stops is returned too, so that a test can assert the walk went somewhere.
 */
export async function focusProblems(
  page: Page,
  maxStops = 40,
): Promise<{ stops: string[]; problems: string[] }> {
  const stops: string[] = [];
  const problems: string[] = [];
  const seen = new Set<number>();
  let last: number | undefined;
  for (let i = 0; i < maxStops; i++) {
    await page.keyboard.press("Tab");
    const stop = await page.evaluate(inspectFocus);
    if (stop === undefined) break;
    if (stop.index === last) continue; // a date field's day, month and year are one element
    if (seen.has(stop.index)) break;
    last = stop.index;
    seen.add(stop.index);
    stops.push(stop.name);
    problems.push(...stop.problems.map((p) => `${stop.name}: ${p}`));
  }
  return { stops, problems };
}

/** Runs in the page: the focused element's name and what is wrong with how its focus shows. */
function inspectFocus(): { index: number; name: string; problems: string[] } | undefined {
  const el = document.activeElement;
  if (!(el instanceof HTMLElement) || el === document.body) return undefined;
  const rgba = (css: string): [number, number, number, number] => {
    const n = (css.match(/[\d.]+/g) ?? []).map(Number);
    return [n[0] ?? 0, n[1] ?? 0, n[2] ?? 0, n[3] ?? 1];
  };
  const luminance = ([r, g, b]: number[]) => {
    const c = [r, g, b].map((v) => {
      const s = (v ?? 0) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * (c[0] ?? 0) + 0.7152 * (c[1] ?? 0) + 0.0722 * (c[2] ?? 0);
  };
  const contrast = (a: number[], b: number[]) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
    return (x + 0.05) / (y + 0.05);
  };
  /** The first background from `start` up (a translucent one laid over white), white when none. */
  const backgroundFrom = (start: Element | null): number[] => {
    for (let e = start; e !== null; e = e.parentElement) {
      const [r, g, b, a] = rgba(getComputedStyle(e).backgroundColor);
      if (a > 0) return [r, g, b].map((v) => v * a + 255 * (1 - a));
    }
    return [255, 255, 255];
  };
  const style = getComputedStyle(el);
  const label = (el.textContent ?? "").trim().slice(0, 30);
  const name = `${el.tagName.toLowerCase()}${el.id === "" ? "" : `#${el.id}`}${label === "" ? "" : ` "${label}"`}`;
  const problems: string[] = [];
  const width = Number.parseFloat(style.outlineWidth);
  if (style.outlineStyle === "none" || width < 2) {
    if (style.outlineStyle !== "auto")
      problems.push(`no visible focus outline (${style.outlineStyle} ${style.outlineWidth})`);
  } else if (style.outlineStyle !== "auto") {
    const inset = Number.parseFloat(style.outlineOffset) < 0;
    const behind = backgroundFrom(inset ? el : el.parentElement);
    const ratio = contrast(rgba(style.outlineColor), behind);
    if (ratio < 3)
      problems.push(
        `focus outline ${style.outlineColor} on rgb(${behind.join(", ")}): ${ratio.toFixed(2)}:1 < 3:1`,
      );
  }
  if (
    el instanceof HTMLInputElement ||
    el instanceof HTMLTextAreaElement ||
    el instanceof HTMLSelectElement
  ) {
    const around = backgroundFrom(el.parentElement);
    const ratio = contrast(rgba(style.borderTopColor), around);
    if (ratio < 3)
      problems.push(
        `field border ${style.borderTopColor} on rgb(${around.join(", ")}): ${ratio.toFixed(2)}:1 < 3:1`,
      );
  }
  return { index: Array.prototype.indexOf.call(document.getElementsByTagName("*"), el), name, problems };
}
