import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminContext, runCommand } from "../../../functions/admin/commands.js";
import { writeLocalState } from "../../../functions/admin/local-state.js";
import { AdminError } from "../../../functions/admin/operations.js";
import { configToEnv } from "../../../functions/config.js";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { dynamoClient } from "../../../functions/runtime.js";
import { DynamoProviderSettings } from "../../../functions/stores/dynamo/provider-settings.js";
import {
  currentKey,
  errorCode,
  issue,
  makeGrant,
  registerProvider,
  type TestProvider,
} from "../gateway/client.js";

/*
 * The admin commands on a local gateway (its DynamoDB, its clock): what each prints, words and --json, and that
 * each change holds at the gateway; then `npm run admin` as a process, finding the gateway by the state file alone.
 */

describe("admin commands", () => {
  let gateway: LocalGateway;
  let ctx: AdminContext;
  let dir: string;
  let provider: TestProvider;
  let clock = Date.parse("2032-01-10T12:00:00Z") / 1000;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "blindgate-admin-"));
    gateway = await startLocalGateway({ wallet: false, now: () => clock, thresholds: [13, 18] });
    ctx = {
      deps: gateway.deps,
      providerSettings: new DynamoProviderSettings(
        dynamoClient(gateway.dynamoEndpoint),
        gateway.config.tables.providers,
      ),
      source: "test",
      gatewayUrl: gateway.localUrl,
    };
    provider = await registerProvider(gateway, "prov-admin", 1000);
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(...argv: string[]): Promise<string> {
    const lines: string[] = [];
    expect(await runCommand(argv, ctx, { out: (l) => lines.push(l) })).toBe(0);
    return lines.join("\n");
  }

  it("keys list: every key with kind, threshold, state and ISO dates, sorted", async () => {
    const text = await run("keys", "list");
    expect(text.split("\n")[0]).toMatch(/^kind\s+age\s+state/);
    expect(text).toMatch(
      /token\s+13\s+current\s+[0-9a-f]{16}\s+issues 2032-01-10T12:00:00Z → 2032-01-17T12:00:00Z/,
    );
    const { now, keys } = JSON.parse(await run("keys", "list", "--json")) as {
      now: string;
      keys: { kind: string; threshold: number; ageBelow?: number; state: string; notBefore: string }[];
    };
    expect(now).toBe("2032-01-10T12:00:00Z");
    const order = keys.map(
      (k) => `${k.kind} ${k.threshold}${k.ageBelow === undefined ? "" : `-${k.ageBelow}`} ${k.state}`,
    );
    const both = (kind: string, interval: string) => [
      `${kind} ${interval} current`,
      `${kind} ${interval} next`,
    ];
    const each = (kind: string, intervals: string[]) => intervals.flatMap((i) => both(kind, i));
    // no credit key for 13–17: a band credential is sold under the narrowest band (13–15 or 16–17)
    expect(order).toEqual([
      ...each("credit", ["13", "13-16", "16-18", "18"]),
      ...each("token", ["13", "13-16", "13-18", "16-18", "18"]),
    ]);
    // a band key issues for one day (a band token must die before a birthday), a threshold key for a week
    expect(text).toMatch(
      /token\s+13–15\s+current\s+[0-9a-f]{16}\s+issues 2032-01-10T12:00:00Z → 2032-01-11T12:00:00Z/,
    );
    for (const k of keys) expect(k.notBefore).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("provider add refuses an existing id and changes nothing", async () => {
    const jwks = join(dir, "jwks.json");
    await writeFile(jwks, JSON.stringify((await gateway.stores.providers.get("prov-admin"))?.jwks));
    const again = runCommand(
      [
        "provider",
        "add",
        "--id",
        "prov-admin",
        "--name",
        "Other",
        "--verify-url",
        "https://x.example",
        "--jwks",
        jwks,
      ],
      ctx,
      { out: () => undefined },
    );
    await expect(again).rejects.toThrow(/exists already: adding never changes a provider/);
    expect((await gateway.stores.providers.get("prov-admin"))?.name).toBe("Provider prov-admin");
  });

  it("provider set-quota: says so, keeps the rest, and the issue route holds the new quota", async () => {
    expect(await run("provider", "set-quota", "--id", "prov-admin", "--quota", "3")).toBe(
      "provider prov-admin: monthly quota set to 3 tokens (this month's usage is kept)",
    );
    expect(
      JSON.parse(await run("provider", "set-quota", "--id", "prov-admin", "--quota", "2", "--json")),
    ).toEqual({
      action: "provider quota set",
      id: "prov-admin",
      monthlyQuota: 2,
    });
    expect(await gateway.stores.providers.get("prov-admin")).toMatchObject({
      monthlyQuota: 2,
      maxThreshold: 21,
      status: "active",
      name: "Provider prov-admin",
    });
    clock += 61; // past the issue function's provider cache
    const key = await currentKey(gateway, 13);
    const over = await issue(gateway, await makeGrant(gateway, provider), [key, key, key]);
    expect(over.status).toBe(403);
    expect(errorCode(over.body)).toBe("ERR_PROVIDER_QUOTA");
    expect((await issue(gateway, await makeGrant(gateway, provider), [key, key])).status).toBe(200);
  });

  it("provider set-max-threshold: a grant above it is issued at it, never above", async () => {
    expect(await run("provider", "set-max-threshold", "--id", "prov-admin", "--threshold", "13")).toBe(
      "provider prov-admin: may attest ages up to 13",
    );
    expect((await gateway.stores.providers.get("prov-admin"))?.maxThreshold).toBe(13);
    await run("provider", "set-quota", "--id", "prov-admin", "--quota", "1000");
    clock += 61;
    // the provider says 18; the operator capped it at 13: tokens of 13, none of 18
    const issued = await issue(gateway, await makeGrant(gateway, provider, { age_over: 18 }), [
      await currentKey(gateway, 13),
    ]);
    expect(issued.status).toBe(200);
    const refused = await issue(gateway, await makeGrant(gateway, provider, { age_over: 18 }), [
      await currentKey(gateway, 18),
    ]);
    expect(errorCode(refused.body)).toBe("ERR_GRANT_THRESHOLD");
    await run("provider", "set-max-threshold", "--id", "prov-admin", "--threshold", "21");
  });

  it("provider set-bands: who may vouch for minors; a band grant outside the rights is refused", async () => {
    const teenGrant = () =>
      makeGrant(gateway, provider, {
        age_over: 13,
        age_below: 16,
        below_until: Math.floor(clock / 86_400) * 86_400 + 30 * 86_400,
      });
    const band = await currentKey(gateway, 13, 16);
    const none = await issue(gateway, await teenGrant(), [band]);
    expect(errorCode(none.body)).toBe("ERR_PROVIDER_INTERVAL");
    expect(
      await run("provider", "set-bands", "--id", "prov-admin", "--bands", "16-18,13-16", "--band-quota", "1"),
    ).toBe("provider prov-admin: may attest bands 16-18, 13-16, 1 band grants a month");
    expect(await gateway.stores.providers.get("prov-admin")).toMatchObject({
      bands: ["16-18", "13-16"],
      monthlyBandQuota: 1,
    });
    clock += 61;
    expect((await issue(gateway, await teenGrant(), [band])).status).toBe(200);
    // the month's one band grant is used: the next is refused, and its tokens are not counted
    const over = await issue(gateway, await teenGrant(), [band]);
    expect(errorCode(over.body)).toBe("ERR_PROVIDER_BAND_QUOTA");
    expect(
      JSON.parse(await run("provider", "set-bands", "--id", "prov-admin", "--bands", "none", "--json")),
    ).toEqual({
      action: "provider bands set",
      id: "prov-admin",
      bands: [],
    });
    await expect(
      runCommand(["provider", "set-bands", "--id", "prov-admin", "--bands", "18"], ctx, {
        out: () => undefined,
      }),
    ).rejects.toThrow(/has no upper age/);
  });

  it("provider suspend / activate: each says what it did; suspended grants are refused", async () => {
    expect(await run("provider", "suspend", "--id", "prov-admin")).toBe(
      "provider prov-admin is now suspended: its grants are refused from now on",
    );
    const key = await currentKey(gateway, 13);
    const refused = await issue(gateway, await makeGrant(gateway, provider, { age_over: 13 }), [key]);
    expect(errorCode(refused.body)).toBe("ERR_PROVIDER_SUSPENDED");
    expect(JSON.parse(await run("provider", "activate", "--id", "prov-admin", "--json"))).toEqual({
      action: "provider active",
      id: "prov-admin",
      status: "active",
    });
    expect((await issue(gateway, await makeGrant(gateway, provider, { age_over: 13 }), [key])).status).toBe(
      200,
    );
  });

  it("refuses changes to an unknown provider, and bad numbers, naming them", async () => {
    const quiet = { out: () => undefined };
    for (const argv of [
      ["provider", "set-quota", "--id", "nobody", "--quota", "5"],
      ["provider", "set-max-threshold", "--id", "nobody", "--threshold", "18"],
      ["provider", "suspend", "--id", "nobody"],
    ]) {
      await expect(runCommand(argv, ctx, quiet)).rejects.toThrow("no provider nobody");
    }
    await expect(
      runCommand(["provider", "set-quota", "--id", "prov-admin", "--quota", "-1"], ctx, quiet),
    ).rejects.toThrow(AdminError);
    await expect(
      runCommand(["provider", "set-quota", "--id", "prov-admin", "--quota", "0"], ctx, quiet),
    ).rejects.toThrow(/quota/);
    await expect(
      runCommand(["provider", "set-max-threshold", "--id", "prov-admin", "--threshold", "151"], ctx, quiet),
    ).rejects.toThrow(/threshold/);
    await expect(runCommand(["provider", "set-quota", "--quota", "5"], ctx, quiet)).rejects.toThrow(
      "--id is required",
    );
  });

  it("site and provider lists, and site add with its key shown once", async () => {
    const added = JSON.parse(await run("site", "add", "--name", "Admin site", "--json")) as {
      site: { id: string };
      apiKey: string;
    };
    expect(added.apiKey).toMatch(/^bgs_/);
    expect(await run("site", "suspend", "--id", added.site.id)).toBe(
      `site ${added.site.id} is now suspended`,
    );
    expect(await run("site", "list")).toContain(`${added.site.id}  suspended  Admin site`);
    expect(await run("site", "list")).not.toContain(added.apiKey);
    const { providers } = JSON.parse(await run("provider", "list", "--json")) as {
      providers: { id: string; usedThisMonth: number; monthlyQuota: number }[];
    };
    expect(providers).toEqual([
      expect.objectContaining({ id: "prov-admin", usedThisMonth: 5, monthlyQuota: 1000, bands: [] }),
    ]);
  });

  it("npm run admin finds the local gateway through its state file alone", async () => {
    const stateFile = join(dir, "local-state.json");
    await writeLocalState({ config: gateway.config, gatewayUrl: gateway.localUrl, file: stateFile });
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: dir,
      BLINDGATE_LOCAL_STATE: stateFile,
      NODE_NO_WARNINGS: "1",
    };
    const admin = (...args: string[]) =>
      promisify(execFile)(
        "npx",
        ["tsx", "--conditions=blindgate-source", "functions/admin/cli.ts", ...args],
        { env },
      );
    const where = JSON.parse((await admin("where", "--json")).stdout) as {
      source: string;
      tables: { spent: string };
    };
    expect(where.source).toContain(stateFile);
    expect(where.tables.spent).toBe(gateway.config.tables.spent);
    const { stdout } = await admin("provider", "list");
    expect(stdout).toContain("prov-admin  active");
    // and with no state file and no environment, it names what is missing
    const missing = await promisify(execFile)(
      "npx",
      ["tsx", "--conditions=blindgate-source", "functions/admin/cli.ts", "keys", "list"],
      { env: { ...env, BLINDGATE_LOCAL_STATE: join(dir, "none.json") } },
    ).catch((error: { code: number; stderr: string }) => error);
    expect((missing as { code: number }).code).toBe(1);
    expect((missing as { stderr: string }).stderr).toContain("missing BLINDGATE_ISSUER_NAME");
  }, 60_000);

  it("npm run admin against AWS with no credentials in the environment says how to export a profile's", async () => {
    // The gateway's AWS client reads credentials from the environment only; nothing is sent without them.
    const { BLINDGATE_DYNAMODB_ENDPOINT: _local, ...functionsEnv } = configToEnv(gateway.config);
    const failed = await promisify(execFile)(
      "npx",
      ["tsx", "--conditions=blindgate-source", "functions/admin/cli.ts", "keys", "list"],
      {
        env: {
          PATH: process.env.PATH ?? "",
          HOME: dir,
          NODE_NO_WARNINGS: "1",
          AWS_REGION: "eu-west-3",
          ...functionsEnv,
        },
      },
    ).catch((error: { code: number; stderr: string }) => error);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toContain("no AWS credentials in the environment");
    expect((failed as { stderr: string }).stderr).toContain("aws configure export-credentials --format env");
  }, 60_000);
});
