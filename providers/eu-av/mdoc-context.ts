import { X509Certificate } from "node:crypto";
import type { MdocContext, X509Context } from "@animo-id/mdoc";
import type { JWK } from "jose";
import { nameField, type TrustedIacas, validateIssuerChain } from "./trust.js";

/*
 * The crypto that @animo-id/mdoc (0.5) asks its caller for, on WebCrypto and @peculiar/x509 only:
 *
 *   crypto.random / digest        getRandomValues, subtle.digest
 *   cose.sign1.sign / verify      ECDSA with raw r||s signatures, the COSE encoding (RFC 9053 §2.1)
 *   cose.mac0                     refused: online presentations (OpenID4VP, DC API) authenticate the device with a
 *                                 signature; a MAC needs an ephemeral reader key we never send
 *   x509                          node:crypto X509Certificate (OpenSSL); chain validation is ours (trust.ts)
 *
 * Only ES256/ES384/ES512 on their matching curves verify; any other alg fails the check (false, not an exception).
 */

const ECDSA: Record<string, { hash: string; curve: string }> = {
  ES256: { hash: "SHA-256", curve: "P-256" },
  ES384: { hash: "SHA-384", curve: "P-384" },
  ES512: { hash: "SHA-512", curve: "P-521" },
};

async function signSign1(input: Parameters<MdocContext["cose"]["sign1"]["sign"]>[0]): Promise<Uint8Array> {
  const { data, alg } = input.sign1.getRawSigningData();
  const params = ECDSA[alg];
  if (params === undefined || input.jwk.crv !== params.curve) throw new TypeError(`unsupported alg ${alg}`);
  const key = await crypto.subtle.importKey(
    "jwk",
    input.jwk as JsonWebKey,
    { name: "ECDSA", namedCurve: params.curve },
    false,
    ["sign"],
  );
  return new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: params.hash }, key, data as BufferSource),
  );
}

async function verifySign1(input: Parameters<MdocContext["cose"]["sign1"]["verify"]>[0]): Promise<boolean> {
  try {
    const { data, signature, alg } = input.sign1.getRawVerificationData(input.options);
    const params = ECDSA[alg];
    const { kty, crv, x, y } = input.jwk;
    if (params === undefined || kty !== "EC" || crv !== params.curve) return false;
    if (typeof x !== "string" || typeof y !== "string") return false;
    const key = await crypto.subtle.importKey(
      "jwk",
      { kty, crv, x, y },
      { name: "ECDSA", namedCurve: params.curve },
      false,
      ["verify"],
    );
    return await crypto.subtle.verify(
      { name: "ECDSA", hash: params.hash },
      key,
      signature as BufferSource,
      data as BufferSource,
    );
  } catch {
    return false;
  }
}

function certificate(bytes: Uint8Array): X509Certificate {
  return new X509Certificate(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/**
 * The @animo-id/mdoc context: WebCrypto for hashes and signatures, node:crypto for certificates, and chain
 * validation against `trust` (when given; issuing test documents needs none).
 *
 * @example
 * ```ts
 * const ctx = mdocContext(parseTrustedIacas(pems));
 * await new Verifier().verifyDeviceResponse({ encodedDeviceResponse, encodedSessionTranscript, trustedCertificates: [] }, ctx);
 * ```
 */
export function mdocContext(trust?: TrustedIacas, now: () => Date = () => new Date()): MdocContext {
  const x509: X509Context = {
    getIssuerNameField: ({ certificate: der, field }) => nameField(certificate(der).issuer, field),
    getPublicKey: ({ certificate: der, alg }) => {
      const params = ECDSA[alg];
      if (params === undefined) throw new TypeError(`unsupported alg ${alg}`);
      const jwk = certificate(der).publicKey.export({ format: "jwk" }) as JWK;
      if (jwk.kty !== "EC" || jwk.crv !== params.curve) throw new TypeError("key does not match alg");
      return jwk;
    },
    validateCertificateChain: ({ x5chain }) => {
      if (trust === undefined) throw new TypeError("no trusted IACA list");
      validateIssuerChain(x5chain, trust, now());
    },
    getCertificateData: ({ certificate: der }) => {
      const cert = certificate(der);
      return {
        issuerName: cert.issuer,
        subjectName: cert.subject,
        serialNumber: cert.serialNumber,
        thumbprint: cert.fingerprint256.replace(/:/g, "").toLowerCase(),
        notBefore: new Date(cert.validFrom),
        notAfter: new Date(cert.validTo),
        pem: cert.toString(),
      };
    },
  };
  return {
    crypto: {
      random: (length) => crypto.getRandomValues(new Uint8Array(length)),
      digest: async ({ digestAlgorithm, bytes }) =>
        new Uint8Array(await crypto.subtle.digest(digestAlgorithm, bytes as BufferSource)),
      calculateEphemeralMacKeyJwk: () => {
        throw new TypeError("device MAC authentication is not supported");
      },
    },
    cose: {
      sign1: { sign: signSign1, verify: verifySign1 },
      mac0: {
        sign: () => {
          throw new TypeError("device MAC authentication is not supported");
        },
        verify: () => false,
      },
    },
    x509,
  };
}
