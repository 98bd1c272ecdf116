import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/*
 * `npm start` with a bad BLINDGATE_EU_AV_IACAS: one line naming the variable and what to do, exit code 2, no stack
 * trace, before anything listens (what a new user hit: a pasted PEM crashed with a raw ENAMETOOLONG stack).
 */

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "eu-av-start-"));

async function start(iacas: string): Promise<{ code: number; stderr: string; stdout: string }> {
  try {
    await run(
      process.execPath,
      ["--import", "tsx", "--conditions=blindgate-source", "functions/local/start.ts"],
      {
        env: {
          ...process.env,
          BLINDGATE_EU_AV_IACAS: iacas,
          BLINDGATE_PORT: "9650",
          BLINDGATE_LOCAL_STATE: join(dir, "state.json"),
        },
        timeout: 60_000,
      },
    );
    return { code: 0, stderr: "", stdout: "" };
  } catch (error) {
    const e = error as { code: number; stderr: string; stdout: string };
    return { code: e.code, stderr: e.stderr, stdout: e.stdout };
  }
}

describe("npm start, BLINDGATE_EU_AV_IACAS", () => {
  it.each([
    ["a pasted certificate without its armour", "MIIB".repeat(2000), /is neither a file nor PEM/],
    ["a file that does not exist", join(dir, "missing.pem"), /names no file that exists/],
    [
      "PEM text that is not a certificate",
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
      /IACA/,
    ],
  ])(
    "%s: one line saying what to do, exit 2, no stack",
    async (_name, value, message) => {
      const { code, stderr, stdout } = await start(value);
      expect(code).toBe(2);
      const lines = stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^blindgate: BLINDGATE_EU_AV_IACAS /);
      expect(lines[0]).toMatch(message);
      expect(stderr).not.toMatch(/\n\s+at |ENAMETOOLONG|Error:/);
      expect(stdout).not.toContain("blindgate is running");
    },
    90_000,
  );
});
