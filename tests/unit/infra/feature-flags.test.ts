import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { App, CfnWaitConditionHandle, Stack } from "aws-cdk-lib";
import * as cxapi from "aws-cdk-lib/cx-api";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../infra/constructs/bundling.js";

/*
 * `cdk synth` is quiet: cdk.json sets every feature flag aws-cdk-lib reports (the CLI otherwise prints "N feature
 * flags are not configured"), each at its recommended value but the few written out below, for their reason.
 */

type Flag = { userValue?: unknown; recommendedValue?: unknown };

/** Flags set away from the recommendation. */
const DELIBERATE: Record<string, unknown> = {
  // Construct property metadata in the template, for AWS's usage reporting: this project reports nothing.
  "@aws-cdk/core:enableAdditionalMetadataCollection": false,
  // The stack tests hold each statement as written (one per table): no merging of policies.
  "@aws-cdk/aws-iam:minimizePolicies": false,
};

const dir = mkdtempSync(join(REPO_ROOT, "cdk.out", "test-flags-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function flagReport(): Record<string, Flag> {
  mkdirSync(dir, { recursive: true });
  const context = (JSON.parse(readFileSync(join(REPO_ROOT, "cdk.json"), "utf8")) as { context: object })
    .context;
  const app = new App({ context: { ...context }, outdir: join(dir, "assembly") });
  // One resource: the template validation the flags turn on refuses an empty template.
  new CfnWaitConditionHandle(new Stack(app, "Minimal"), "Handle");
  const manifest = JSON.parse(readFileSync(join(app.synth().directory, "manifest.json"), "utf8")) as {
    artifacts: Record<string, { type: string; properties?: { flags?: Record<string, Flag> } }>;
  };
  const report = Object.values(manifest.artifacts).find((a) => a.type === "cdk:feature-flag-report");
  return report?.properties?.flags ?? {};
}

describe("cdk.json feature flags", () => {
  it("configures every flag the library reports, at the recommended value but the deliberate ones", () => {
    const flags = flagReport();
    expect(Object.keys(flags).length).toBeGreaterThan(80);
    const unconfigured = Object.entries(flags)
      .filter(([, f]) => f.userValue === undefined)
      .map(([k]) => k);
    expect(unconfigured).toEqual([]);
    const away = Object.fromEntries(
      Object.entries(flags)
        .filter(([, f]) => JSON.stringify(f.userValue) !== JSON.stringify(f.recommendedValue))
        .map(([k, f]) => [k, f.userValue]),
    );
    expect(away).toEqual(DELIBERATE);
    // Every flag the library knows, not only those the report lists.
    const known = Object.keys(cxapi.CURRENTLY_RECOMMENDED_FLAGS);
    expect(known.filter((k) => !(k in flags))).toEqual([]);
  });
});
