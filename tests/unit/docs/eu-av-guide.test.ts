import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_ENV } from "../../../providers/eu-av/config.js";
import { GRANT_KEY_ENV, GRANT_KEY_SECRET_ENV } from "../../../providers/eu-av/grant-key-source.js";
import { SESSIONS_TABLE } from "../../../providers/eu-av/table.js";

/* docs/provider-guide.md documents every variable the EU AV provider reads, local and Lambda, in one table. */

const guide = readFileSync(new URL("../../../docs/provider-guide.md", import.meta.url), "utf8");
const table =
  (guide.split("### Configuration")[1] ?? "").split("\n\n").find((p) => p.startsWith("| variable |")) ?? "";
const sources = [
  "providers/eu-av/lambda.ts",
  "providers/eu-av/config.ts",
  "providers/eu-av/grant-key-source.ts",
];

describe("provider-guide.md, EU AV configuration", () => {
  it("one table with a row per variable", () => {
    const variables = [
      ...Object.values(CONFIG_ENV).filter((v) => v.startsWith("EU_AV_")),
      GRANT_KEY_ENV,
      GRANT_KEY_SECRET_ENV,
      SESSIONS_TABLE.env,
      "EU_AV_TRUSTED_IACAS",
      "EU_AV_TRUSTED_IACAS_FILE",
      "BLINDGATE_EU_AV_IACAS",
      "DYNAMO_ENDPOINT",
    ];
    for (const v of variables) expect(table, v).toContain(`\`${v}\``);
  });

  it("every EU_AV_ variable the code reads is in it", () => {
    for (const file of sources) {
      const code = readFileSync(new URL(`../../../${file}`, import.meta.url), "utf8");
      for (const [name] of code.matchAll(/EU_AV_[A-Z_]+/g))
        expect(table, `${name} (${file})`).toContain(`\`${name}\``);
    }
  });
});
