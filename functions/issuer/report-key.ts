import { createHash, generateKeyPairSync } from "node:crypto";
import type { ReportKeyRecord } from "../stores/index.js";
import type { KeyVault } from "./key-vault.js";

/*
 * The report key: ECDSA P-256, signs the daily transparency reports. Made and sealed like the token and credit keys
 * (the vault, with the key id as context), opened like them (IssuerKeyCache.reportSigner), announced in the key log
 * like them (kind "report", under the key lifecycle's lease: services/report.ts).
 */

const DAY = 86_400;
/** How long the report key signs reports. */
export const REPORT_KEY_SIGNS_SECONDS = 5 * 365 * DAY;

/**
 * A new report key, its private key sealed; it signs reports of days from `firstDay` on.
 *
 * @example
 * ```ts
 * const record = await generateReportKey(deps.vault, now, utcDay(now));
 * ```
 */
export async function generateReportKey(
  vault: KeyVault,
  now: number,
  firstDay: string,
): Promise<ReportKeyRecord> {
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = new Uint8Array(pair.publicKey.export({ type: "spki", format: "der" }));
  const pkcs8 = new Uint8Array(pair.privateKey.export({ type: "pkcs8", format: "der" }));
  const id = createHash("sha256").update(spki).digest("hex");
  try {
    return {
      id,
      spki,
      sealedPrivateKey: await vault.seal(pkcs8, id),
      firstDay,
      notBefore: now,
      issueUntil: now + REPORT_KEY_SIGNS_SECONDS,
      validUntil: now + 2 * REPORT_KEY_SIGNS_SECONDS,
      createdAt: now,
    };
  } finally {
    pkcs8.fill(0);
  }
}
