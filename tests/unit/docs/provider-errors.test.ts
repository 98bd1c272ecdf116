import { readFileSync } from "node:fs";
import { GATEWAY_ERRORS } from "@blindgate/sdk/protocol";
import { describe, expect, it } from "vitest";

/*
 * docs/provider-guide.md tells a provider what to fix for every refusal of its grant: each code of the gateway's
 * contract that is about the grant or the provider has a row there, with the status the gateway answers and a
 * "what to fix" that is not empty, so a code added to the contract cannot be missing from the guide.
 */

const guide = readFileSync(new URL("../../../docs/provider-guide.md", import.meta.url), "utf8");
const table = guide.split("### When the gateway refuses a grant")[1]?.split("\n## ")[0] ?? "";

function row(code: string): string[] | undefined {
  const line = table.split("\n").find((l) => l.startsWith(`| \`${code}\` |`));
  return line?.split("|").map((cell) => cell.trim());
}

const providerCodes = Object.entries(GATEWAY_ERRORS).filter(
  ([, { party }]) => party === "grant" || party === "provider",
);

describe("the provider guide's error table", () => {
  it("is there", () => {
    expect(providerCodes.length).toBeGreaterThan(10);
    expect(table).toContain("| code | status | what it means | what to fix |");
  });

  it.each(providerCodes)("says what to fix for %s, with its status", (code, { status }) => {
    const cells = row(code);
    expect(cells?.[2]).toBe(String(status));
    expect(cells?.[4]?.length ?? 0).toBeGreaterThan(10);
  });
});
