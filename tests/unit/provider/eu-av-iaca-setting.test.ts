import "../../support/reflect-metadata.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { EuAvConfigError } from "../../../providers/eu-av/errors.js";
import { readIacaSetting } from "../../../providers/eu-av/iaca-setting.js";
import { createDocumentSigner, createTestIaca } from "../../support/eu-av-holder.js";

/* BLINDGATE_EU_AV_IACAS: a file path or the PEM text; each bad value named, with what to do, and no stack. */

const VAR = "BLINDGATE_EU_AV_IACAS";
let pem: string;
let signerPem: string;
let dir: string;

beforeAll(async () => {
  const iaca = await createTestIaca();
  pem = iaca.pem;
  signerPem = (await createDocumentSigner(iaca)).pem;
  dir = mkdtempSync(join(tmpdir(), "eu-av-iacas-"));
});

function refusal(value: string): EuAvConfigError {
  try {
    readIacaSetting(value, VAR);
  } catch (error) {
    expect(error).toBeInstanceOf(EuAvConfigError);
    return error as EuAvConfigError;
  }
  throw new Error("accepted");
}

describe("readIacaSetting", () => {
  it("takes a file path, the PEM text, and the PEM text with \\n escapes, to the same list", async () => {
    const second = (await createTestIaca({ name: "C=DE, CN=IACA 2" })).pem;
    const file = join(dir, "iacas.pem");
    writeFileSync(file, `${pem}\n${second}`);
    const fromFile = readIacaSetting(file, VAR);
    expect(fromFile).toHaveLength(2);
    expect(readIacaSetting(`${pem}\n${second}`, VAR)).toEqual(fromFile);
    expect(readIacaSetting(`${pem}\n${second}`.replace(/\n/g, "\\n"), VAR)).toEqual(fromFile);
  });

  it.each([
    [
      "a missing file",
      () => join(dir, "nope.pem"),
      /names no file that exists .*give the path of a PEM file/,
    ],
    ["a directory", () => dir, /names a directory, not a file/],
    [
      "pasted text without PEM armour (a very long line)",
      () => "MII".repeat(3000),
      /is neither a file nor PEM/,
    ],
    ["an empty value", () => "  ", /is empty/],
    ["a file of no certificate", () => writeTo("empty.pem", "hello"), /holds no PEM certificate/],
    [
      "a document signer instead of an IACA",
      () => signerPem,
      /not a CA certificate.*root \(CA\) certificates/,
    ],
  ])("%s: one message naming the variable, with what to do", (_name, value, message) => {
    const error = refusal(value());
    expect(error.message.startsWith(`${VAR} `)).toBe(true);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain("ENAMETOOLONG");
    expect(error.message).not.toContain("BEGIN CERTIFICATE-----\nMII");
  });
});

function writeTo(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
