import { readFileSync } from "node:fs";
import { GATEWAY_ERRORS } from "@blindgate/sdk/protocol";
import { GATE_ERROR_STATUS } from "@blindgate/sdk/site";
import { describe, expect, it } from "vitest";

/* docs/errors.md lists every gateway and site-gate code with the status the code answers it with. */

const doc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");

function row(code: string): string[] | undefined {
  const line = doc.split("\n").find((l) => l.startsWith(`| \`${code}\` |`));
  return line?.split("|").map((cell) => cell.trim());
}

describe("docs/errors.md", () => {
  it.each(Object.entries(GATEWAY_ERRORS))("lists the gateway's %s with its status", (code, { status }) => {
    expect(row(code)?.[2]).toBe(String(status));
  });

  it.each(Object.entries(GATE_ERROR_STATUS))("lists the site gate's %s with its status", (code, status) => {
    expect(doc.split("## Site gate")[1]?.includes(`| \`${code}\` | ${status} |`)).toBe(true);
  });

  it("uses one naming scheme for the gateway and the site gate", () => {
    for (const code of [...Object.keys(GATEWAY_ERRORS), ...Object.keys(GATE_ERROR_STATUS)]) {
      expect(code).toMatch(/^ERR_[A-Z0-9_]+$/);
    }
  });
});
