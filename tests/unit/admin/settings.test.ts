import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  localStateFile,
  readLocalState,
  removeLocalState,
  writeLocalState,
} from "../../../functions/admin/local-state.js";
import { AdminError } from "../../../functions/admin/operations.js";
import { missingSettings, resolveSettings } from "../../../functions/admin/settings.js";
import { parseConfig } from "../../../functions/config.js";
import { localTableNames, TABLE_IDS, TABLES } from "../../../functions/stores/index.js";

/*
 * Where `npm run admin` finds its gateway: the environment, a stack's `cdk deploy --outputs-file` JSON, or the
 * state file of `npm start`; and what it says when it finds none.
 */

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "blindgate-admin-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const localEnv = () => ({
  BLINDGATE_ISSUER_NAME: "127.0.0.1:8787",
  BLINDGATE_ISSUER_URL: "http://127.0.0.1:8787",
  BLINDGATE_DATA_KEY_FILE: "/home/me/.config/blindgate/data-key",
  BLINDGATE_DYNAMODB_ENDPOINT: "http://127.0.0.1:41234",
  ...Object.fromEntries(TABLE_IDS.map((id) => [TABLES[id].env, localTableNames()[id]])),
});

describe("missing settings", () => {
  it("names every missing variable, and the key vault as one of two", () => {
    expect(missingSettings({})).toEqual([
      "BLINDGATE_ISSUER_NAME",
      "BLINDGATE_ISSUER_URL",
      ...TABLE_IDS.map((id) => TABLES[id].env),
      "BLINDGATE_KMS_KEY_ID (AWS) or BLINDGATE_DATA_KEY_FILE (local)",
    ]);
    expect(missingSettings(localEnv())).toEqual([]);
  });

  it("refuses with the variables to set and the three ways to set them when nothing is found", async () => {
    const error = await resolveSettings({
      env: { XDG_CONFIG_HOME: dir, BLINDGATE_TABLE_KEYS: "k" },
      cwd: dir,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdminError);
    const message = (error as AdminError).message;
    expect(message).toContain("BLINDGATE_TABLE_SPENT");
    expect(message).toContain("BLINDGATE_ISSUER_NAME");
    expect(message).not.toContain("BLINDGATE_TABLE_KEYS,"); // given
    expect(message).toContain("--outputs");
    expect(message).toContain("npm start");
  });
});

describe("the environment", () => {
  it("wins when it names a table", async () => {
    const settings = await resolveSettings({ env: { ...localEnv(), HOME: "/nowhere" }, cwd: dir });
    expect(settings.source).toContain("environment");
    expect(settings.env.BLINDGATE_TABLE_SPENT).toBe("blindgate-spent");
    expect(settings.env.HOME).toBeUndefined(); // only BLINDGATE_* travels
  });
});

describe("a stack's outputs file", () => {
  const adminEnv = [
    "BLINDGATE_ISSUER_NAME=gw.example",
    "BLINDGATE_ISSUER_URL=https://gw.example",
    "BLINDGATE_KMS_KEY_ID=arn:aws:kms:eu-west-3:123456789012:key/abcd",
    ...TABLE_IDS.map((id) => `${TABLES[id].env}=prod-${id}`),
  ].join(" ");

  it("reads the AdminEnv output and the region of the KMS key", async () => {
    const file = join(dir, "out.json");
    await writeFile(
      file,
      JSON.stringify({ BlindgateProd: { AdminEnv: adminEnv, ApiUrl: "https://gw.example" } }),
    );
    const settings = await resolveSettings({ env: {}, outputsFile: file, cwd: dir });
    expect(settings.source).toBe(`stack BlindgateProd (outputs file ${file})`);
    expect(settings.region).toBe("eu-west-3");
    expect(settings.gatewayUrl).toBe("https://gw.example");
    expect(parseConfig(settings.env).tables.reports).toBe("prod-reports");
  });

  it("finds ./cdk-outputs.json by itself, and asks which stack when there are several", async () => {
    await writeFile(
      join(dir, "cdk-outputs.json"),
      JSON.stringify({ A: { AdminEnv: adminEnv }, B: { AdminEnv: adminEnv }, Edge: { WebAclArn: "x" } }),
    );
    await expect(resolveSettings({ env: {}, cwd: dir })).rejects.toThrow(
      /--stack or BLINDGATE_STACK \(one of A, B\)/,
    );
    const b = await resolveSettings({ env: { BLINDGATE_STACK: "B" }, cwd: dir });
    expect(b.source).toContain("stack B");
  });

  it("refuses a file that is not an outputs file", async () => {
    await writeFile(join(dir, "bad.json"), "not json");
    await expect(resolveSettings({ env: {}, outputsFile: "bad.json", cwd: dir })).rejects.toThrow(
      /cdk deploy --outputs-file/,
    );
  });
});

describe("the state file of npm start", () => {
  const config = () => parseConfig(localEnv());

  it("is written 0600 with the functions' environment and no key material, and found by itself", async () => {
    expect(localStateFile({ XDG_CONFIG_HOME: "/x" })).toBe("/x/blindgate/local-state-8787.json");
    expect(localStateFile({ XDG_CONFIG_HOME: "/x", BLINDGATE_LOCAL_STATE: "/y.json" })).toBe("/y.json");
    const own = join(dir, "blindgate", "local-state-8787.json");
    await writeLocalState({ config: config(), gatewayUrl: "http://127.0.0.1:8787", file: own });
    expect((await stat(own)).mode & 0o777).toBe(0o600);
    const state = await readLocalState(own);
    expect(state?.env.BLINDGATE_DYNAMODB_ENDPOINT).toBe("http://127.0.0.1:41234");
    expect(state?.env.BLINDGATE_DATA_KEY_FILE).toBe("/home/me/.config/blindgate/data-key"); // a path, not a key
    const settings = await resolveSettings({ env: { XDG_CONFIG_HOME: dir }, cwd: dir });
    expect(settings.source).toContain(`pid ${process.pid}`);
    expect(settings.gatewayUrl).toBe("http://127.0.0.1:8787");
    expect(parseConfig(settings.env).issuerName).toBe("127.0.0.1:8787");
  });

  it("is one file per port, so two npm starts keep their own, and the CLI says which it found and how to pick another", async () => {
    expect(localStateFile({ XDG_CONFIG_HOME: "/x" }, 9700)).toBe("/x/blindgate/local-state-9700.json");
    expect(localStateFile({ XDG_CONFIG_HOME: "/x", BLINDGATE_PORT: "9700" })).toBe(
      "/x/blindgate/local-state-9700.json",
    );
    const env = { XDG_CONFIG_HOME: dir };
    // two running gateways (this test's process and its parent stand for the two npm starts)
    await writeLocalState({
      config: config(),
      gatewayUrl: "http://127.0.0.1:8787",
      file: localStateFile(env, 8787),
    });
    const one = await resolveSettings({ env, cwd: dir });
    expect(one.gatewayUrl).toBe("http://127.0.0.1:8787");
    expect(one.source).toContain("local gateway http://127.0.0.1:8787");
    expect(one.source).toContain("BLINDGATE_PORT=<its port>");
    await writeLocalState({
      config: parseConfig({ ...localEnv(), BLINDGATE_ISSUER_NAME: "127.0.0.1:9700" }),
      gatewayUrl: "http://127.0.0.1:9700",
      file: localStateFile(env, 9700),
      pid: process.ppid,
    });
    expect((await readLocalState(localStateFile(env, 8787)))?.gatewayUrl).toBe("http://127.0.0.1:8787");
    const both = await resolveSettings({ env, cwd: dir }).catch((e: unknown) => e);
    expect(both).toBeInstanceOf(AdminError);
    expect((both as AdminError).message).toContain(
      "2 local gateways are running: http://127.0.0.1:8787 (BLINDGATE_PORT=8787), http://127.0.0.1:9700 (BLINDGATE_PORT=9700)",
    );
    const picked = await resolveSettings({ env: { ...env, BLINDGATE_PORT: "9700" }, cwd: dir });
    expect(picked.gatewayUrl).toBe("http://127.0.0.1:9700");
    expect(parseConfig(picked.env).issuerName).toBe("127.0.0.1:9700");
  });

  it("says the local gateway is not running when its process is gone", async () => {
    const file = join(dir, "state.json");
    await writeLocalState({ config: config(), gatewayUrl: "http://127.0.0.1:8787", file, pid: 2 ** 22 + 17 });
    await expect(resolveSettings({ env: { BLINDGATE_LOCAL_STATE: file }, cwd: dir })).rejects.toThrow(
      /is not running: start it with `npm start`/,
    );
  });

  it("is removed on stop only by the process that wrote it", async () => {
    const file = join(dir, "state.json");
    await writeLocalState({ config: config(), gatewayUrl: "http://127.0.0.1:8787", file, pid: 12345 });
    await removeLocalState(file);
    expect(await readLocalState(file)).toBeDefined();
    await removeLocalState(file, 12345);
    expect(await readLocalState(file)).toBeUndefined();
  });
});
