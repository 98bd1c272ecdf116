import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EU_AV_ERROR_STATUS } from "../../../providers/eu-av/handler.js";

/* docs/errors.md's EU AV section lists every code of the provider with the status its handler answers. */

const doc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
const section = doc.split("## EU age-verification provider")[1] ?? "";

describe("docs/errors.md, EU AV provider", () => {
  it("has the section", () => {
    expect(section.length).toBeGreaterThan(100);
  });

  it.each(Object.entries(EU_AV_ERROR_STATUS))("lists %s with status %i", (code, status) => {
    expect(section).toContain(`| \`${code}\` | ${status} |`);
  });

  it.each(["ERR_WALLET_DECLINED", "ERR_WALLET_ERROR"])("lists the wallet answer %s", (code) => {
    expect(section).toContain(`| \`${code}\` | 200 |`);
  });
});
