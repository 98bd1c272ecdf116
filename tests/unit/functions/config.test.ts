import { describe, expect, it } from "vitest";
import { configToEnv, parseConfig } from "../../../functions/config.js";
import { vaultFromEnv } from "../../../functions/issuer/vault-from-env.js";
import { noVault } from "../../../functions/runtime.js";

const base = {
  BLINDGATE_ISSUER_NAME: "gateway.example",
  BLINDGATE_ISSUER_URL: "https://gateway.example/",
  BLINDGATE_TABLE_KEYS: "keys",
  BLINDGATE_TABLE_KEY_LOG: "key-log",
  BLINDGATE_TABLE_PROVIDERS: "providers",
  BLINDGATE_TABLE_SITES: "sites",
  BLINDGATE_TABLE_GRANTS: "grants",
  BLINDGATE_TABLE_SPENT: "spent",
  BLINDGATE_TABLE_REPORTS: "reports",
  BLINDGATE_KMS_KEY_ID: "alias/blindgate",
};

describe("functions configuration", () => {
  it("parses the environment with defaults and round-trips through configToEnv", () => {
    const config = parseConfig(base);
    expect(config.issuerUrl).toBe("https://gateway.example");
    expect(config.thresholds).toEqual([13, 15, 16, 18, 21]);
    expect(config.keyEpochSeconds).toBe(7 * 86_400);
    expect(config.reportFlushMs).toBe(1000);
    expect(parseConfig(configToEnv(config))).toEqual(config);
    expect(parseConfig({ ...base, BLINDGATE_REPORT_FLUSH_MS: "0" }).reportFlushMs).toBe(0);
  });

  it("takes bands [from, below): default 13-16,16-18,13-18 on short epochs; none with an empty list", () => {
    const config = parseConfig(base);
    expect(config.bands).toEqual([
      { from: 13, below: 16 },
      { from: 13, below: 18 },
      { from: 16, below: 18 },
    ]);
    expect(config.bandKeyEpochSeconds).toBe(86_400);
    expect(config.bandTokenValiditySeconds).toBe(86_400);
    expect(config.bandCreditEpochSeconds).toBe(7 * 86_400);
    expect(config.bandCreditValiditySeconds).toBe(21 * 86_400);
    expect(parseConfig({ ...base, BLINDGATE_BANDS: "" }).bands).toEqual([]);
    expect(parseConfig({ ...base, BLINDGATE_BANDS: "16-18, 13-16,16-18" }).bands).toEqual([
      { from: 13, below: 16 },
      { from: 16, below: 18 },
    ]);
  });

  it("sorts and dedupes thresholds", () => {
    expect(parseConfig({ ...base, BLINDGATE_THRESHOLDS: "18,13,18" }).thresholds).toEqual([13, 18]);
  });

  it.each([
    ["BLINDGATE_ISSUER_URL", "not a url"],
    ["BLINDGATE_THRESHOLDS", "13,,18"],
    ["BLINDGATE_THRESHOLDS", "0"],
    ["BLINDGATE_KEY_EPOCH_HOURS", "-1"],
    ["BLINDGATE_TABLE_SPENT", ""],
    ["BLINDGATE_REPORT_FLUSH_MS", "-1"],
    ["BLINDGATE_REPORT_FLUSH_MS", "1.5"],
    ["BLINDGATE_REPORT_FLUSH_MS", "600000"],
    ["BLINDGATE_BANDS", "13-16,18"],
    ["BLINDGATE_BANDS", "16-13"],
    ["BLINDGATE_BANDS", "13-16;16-18"],
    ["BLINDGATE_BAND_KEY_EPOCH_HOURS", "0"],
    ["BLINDGATE_BAND_TOKENS_PER_GRANT", "1.5"],
  ])("names the bad variable %s=%j", (name, value) => {
    expect(() => parseConfig({ ...base, [name]: value })).toThrow(name);
  });

  it("needs no key vault setting for the functions that never sign", () => {
    const { BLINDGATE_KMS_KEY_ID: _, ...noKey } = base;
    expect(parseConfig(noKey).kmsKeyId).toBeUndefined();
    expect(parseConfig({ ...noKey, BLINDGATE_DATA_KEY_FILE: "/tmp/k" }).dataKeyFile).toBe("/tmp/k");
  });

  it("refuses to build a key vault without KMS key or key file", async () => {
    const { BLINDGATE_KMS_KEY_ID: _, ...noKey } = base;
    await expect(vaultFromEnv(parseConfig(noKey))).rejects.toThrow(
      /BLINDGATE_KMS_KEY_ID or BLINDGATE_DATA_KEY_FILE/,
    );
  });

  it("gives the non-signing functions a vault that refuses every use", async () => {
    const vault = await noVault();
    await expect(vault.open(new Uint8Array(8), "k")).rejects.toThrow(/no access to token private keys/);
  });
});
