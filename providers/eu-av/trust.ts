import { X509Certificate } from "node:crypto";
import { EuAvError } from "./errors.js";

/*
 * Trusted issuers: a list of IACA certificates (ISO/IEC 18013-5 Annex B: Issuing Authority CA, the root of each
 * issuer's document signers). A document signer (DS) certificate arrives in the MSO's x5chain; it is trusted when a
 * path of signatures leads from it to one of these roots, every certificate on the path is valid at the time of the
 * check, and every issuer on the path is a CA. Certificates are parsed once, at start-up, with node:crypto
 * (OpenSSL): the verification path needs no other X.509 code.
 */

/** The trusted IACA list, parsed. */
export interface TrustedIacas {
  readonly certificates: readonly X509Certificate[];
}

const MAX_PATH = 4;

/**
 * Parse a list of trusted IACA certificates (PEM or DER). Throws a TypeError on anything that is not an X.509 CA
 * certificate, so a bad configuration stops the service at start-up.
 *
 * @example
 * ```ts
 * const trust = parseTrustedIacas([readFileSync("iaca-fr.pem", "utf8"), readFileSync("iaca-de.pem", "utf8")]);
 * ```
 */
export function parseTrustedIacas(list: readonly (string | Uint8Array)[]): TrustedIacas {
  const certificates = list.map((item) => {
    const cert = new X509Certificate(typeof item === "string" ? item : Buffer.from(item));
    if (!cert.ca) throw new TypeError("a trusted IACA is not a CA certificate");
    return cert;
  });
  if (certificates.length === 0) throw new TypeError("the trusted IACA list is empty");
  return { certificates };
}

/** Split a PEM bundle (several certificates, one after the other) into one PEM per certificate. */
export function splitPemBundle(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * Check that the DS certificate `x5chain[0]` chains to a trusted IACA at `now`. Throws
 * EuAvError("ERR_ISSUER_UNTRUSTED") otherwise (the message says which step failed, never certificate bytes).
 *
 * @example
 * ```ts
 * validateIssuerChain(issuerAuth.certificateChain, trust, new Date());
 * ```
 */
export function validateIssuerChain(x5chain: readonly Uint8Array[], trust: TrustedIacas, now: Date): void {
  let chain: X509Certificate[];
  try {
    chain = x5chain.map((der) => new X509Certificate(Buffer.from(der)));
  } catch (cause) {
    throw new EuAvError("ERR_ISSUER_UNTRUSTED", "issuer certificate chain does not parse", { cause });
  }
  const [leaf, ...intermediates] = chain;
  if (leaf === undefined) throw new EuAvError("ERR_ISSUER_UNTRUSTED", "no document signer certificate");
  if (leaf.ca) throw new EuAvError("ERR_ISSUER_UNTRUSTED", "the document signer is a CA certificate");
  let current = leaf;
  for (let depth = 0; depth <= MAX_PATH; depth++) {
    validAt(current, now);
    // 1. Issued by a trusted IACA?
    const anchor = trust.certificates.find((a) => issuedBy(current, a));
    if (anchor !== undefined) {
      validAt(anchor, now);
      return;
    }
    // 2. Otherwise by a CA certificate carried in the chain.
    const next = intermediates.find((c) => c !== current && issuedBy(current, c));
    if (next === undefined) {
      throw new EuAvError("ERR_ISSUER_UNTRUSTED", "the document signer does not chain to a trusted IACA");
    }
    current = next;
  }
  throw new EuAvError("ERR_ISSUER_UNTRUSTED", "the certificate chain is too long");
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return issuer.ca && cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function validAt(cert: X509Certificate, now: Date): void {
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) {
    throw new EuAvError("ERR_ISSUER_UNTRUSTED", "a certificate of the issuer chain is not valid now");
  }
}

/** A field of a distinguished name as node:crypto prints it ("C=FR\nCN=..."): every value of `field`. */
export function nameField(name: string, field: string): string[] {
  return name
    .split("\n")
    .filter((line) => line.startsWith(`${field}=`))
    .map((line) => line.slice(field.length + 1));
}
