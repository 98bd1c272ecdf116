import { readFileSync, statSync } from "node:fs";
import { EuAvConfigError } from "./errors.js";
import { parseTrustedIacas, splitPemBundle } from "./trust.js";

/*
 * The trusted IACA list as a person types it into one variable (BLINDGATE_EU_AV_IACAS for `npm start`,
 * EU_AV_TRUSTED_IACAS on Lambda): either the path of a PEM file, or the PEM text itself (pasted, with real line
 * breaks or with `\n` escapes as a shell or a .env file gives them). Every problem is an EuAvConfigError that
 * names the variable and says what to do; no stack trace, no file content, no certificate bytes.
 */

const PEM_HINT =
  "give the path of a PEM file of IACA root certificates, or the PEM text itself " +
  "(-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----, one after the other)";

/** Path or PEM text → the certificates' PEMs, each checked to be a CA certificate. */
export function readIacaSetting(value: string, variable: string): string[] {
  const trimmed = value.trim();
  if (trimmed === "") throw new EuAvConfigError(variable, `is empty: ${PEM_HINT}`);
  let text: string;
  if (trimmed.includes("-----BEGIN")) {
    text = trimmed.replace(/\\n/g, "\n");
  } else {
    text = readPemFile(trimmed, variable);
  }
  const pems = splitPemBundle(text);
  if (pems.length === 0) {
    throw new EuAvConfigError(variable, `holds no PEM certificate: ${PEM_HINT}`);
  }
  try {
    parseTrustedIacas(pems);
  } catch (error) {
    const why = error instanceof TypeError ? error.message : "a certificate does not parse";
    throw new EuAvConfigError(
      variable,
      `is not a list of IACA certificates (${why}): list the issuers' root (CA) certificates, not document signers`,
    );
  }
  return pems;
}

function readPemFile(path: string, variable: string): string {
  // A value too long or too strange to be a path is pasted text without its PEM armour.
  if (path.length > 4096 || path.includes("\0"))
    throw new EuAvConfigError(variable, `is neither a file nor PEM: ${PEM_HINT}`);
  try {
    if (!statSync(path).isFile())
      throw new EuAvConfigError(variable, `names a directory, not a file: ${PEM_HINT}`);
    return readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof EuAvConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "names no file that exists"
        : code === "EACCES"
          ? "names a file this process may not read"
          : code === "ENAMETOOLONG"
            ? "is neither a file nor PEM"
            : "names a file that cannot be read";
    throw new EuAvConfigError(
      variable,
      `${why} (${path.length > 80 ? `${path.slice(0, 77)}...` : path}): ${PEM_HINT}`,
    );
  }
}
