import { bitLength } from "./blind-rsa/bigint.js";
import type { RsaPublicKey } from "./blind-rsa/blind-rsa.js";
import {
  DerReader,
  derEncode,
  derInteger,
  derPositiveInteger,
  TAG_BIT_STRING,
  TAG_INTEGER,
  TAG_SEQUENCE,
} from "./blind-rsa/der.js";
import { equalBytes } from "./bytes.js";
import { DecodeError } from "./errors.js";

/*
 * RSA SubjectPublicKeyInfo (RFC 5280 §4.1, RFC 8017 Appendix A.1.1, RFC 4055 §3.1):
 *
 *   SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
 *   RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
 *
 * Two algorithm identifiers are understood:
 *   rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters — what WebCrypto's importKey("spki") takes;
 *   id-RSASSA-PSS (1.2.840.113549.1.1.10) with RSASSA-PSS-params { hashAlgorithm [0] sha384,
 *     maskGenAlgorithm [1] mgf1(sha384), saltLength [2] 48 } — the token key encoding of RFC 9578 §6.5, whose
 *     SHA-256 is the token_key_id. RFC 4055 lets a SHA-2 AlgorithmIdentifier carry absent or NULL parameters:
 *     RFC 9578 writes them absent, OpenSSL (node:crypto) writes NULL; both are accepted, absent is written.
 */

/** AlgorithmIdentifier { rsaEncryption, NULL } */
const RSA_ENCRYPTION_ALGORITHM = new Uint8Array([
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
]);

/** AlgorithmIdentifier { id-RSASSA-PSS, { sha384, mgf1(sha384), 48 } } as RFC 9578 encodes it. */
const PSS_ALGORITHM = new Uint8Array([
  0x30, 0x3d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x30, 0xa0, 0x0d, 0x30,
  0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0xa1, 0x1a, 0x30, 0x18, 0x06, 0x09,
  0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
  0x03, 0x04, 0x02, 0x02, 0xa2, 0x03, 0x02, 0x01, 0x30,
]);

/** The same AlgorithmIdentifier with NULL parameters on both sha384 identifiers (OpenSSL's encoding). */
const PSS_ALGORITHM_NULL_PARAMS = new Uint8Array([
  0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0, 0x0f, 0x30,
  0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a,
  0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
  0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x30,
]);

/** Smallest and largest RSA modulus accepted, in bits. */
export const MIN_RSA_MODULUS_BITS = 2048;
export const MAX_RSA_MODULUS_BITS = 8192;

/** Which AlgorithmIdentifier an SPKI carries. */
export type RsaSpkiKind = "rsaEncryption" | "rsassa-pss";

/** A parsed RSA SPKI: the public key and the kind of algorithm identifier it came with. */
export interface ParsedRsaSpki extends RsaPublicKey {
  readonly kind: RsaSpkiKind;
}

/**
 * Parse a DER RSA SubjectPublicKeyInfo, rsaEncryption or RFC 9578 id-RSASSA-PSS. Strict: minimal DER, no trailing
 * bytes, odd modulus of 2048 to 8192 bits, odd public exponent 3 <= e < n. Throws DecodeError("ERR_KEY").
 *
 * @example
 * ```ts
 * const { n, e, modulusBytes, kind } = parseRsaSpki(directoryKey.tokenKey); // kind: "rsassa-pss"
 * ```
 */
export function parseRsaSpki(spki: Uint8Array): ParsedRsaSpki {
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm, subjectPublicKey }
  const outer = new DerReader(spki);
  const body = outer.element(TAG_SEQUENCE).content;
  outer.end();
  const fields = new DerReader(body);
  const algorithm = fields.element(TAG_SEQUENCE).tlv;
  let kind: RsaSpkiKind;
  if (equalBytes(algorithm, RSA_ENCRYPTION_ALGORITHM)) kind = "rsaEncryption";
  else if (equalBytes(algorithm, PSS_ALGORITHM) || equalBytes(algorithm, PSS_ALGORITHM_NULL_PARAMS)) {
    kind = "rsassa-pss";
  } else throw new DecodeError("ERR_KEY", "SPKI: not rsaEncryption nor RFC 9578 RSASSA-PSS (SHA-384, 48)");
  const bitString = fields.element(TAG_BIT_STRING).content;
  fields.end();
  // BIT STRING: first content byte = number of unused bits, 0 for DER-encoded keys.
  if (bitString.length < 1 || bitString[0] !== 0) throw new DecodeError("ERR_KEY", "SPKI: bad BIT STRING");
  // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
  const keyReader = new DerReader(bitString.subarray(1));
  const rsaKey = new DerReader(keyReader.element(TAG_SEQUENCE).content);
  keyReader.end();
  const n = derPositiveInteger(rsaKey.element(TAG_INTEGER).content);
  const e = derPositiveInteger(rsaKey.element(TAG_INTEGER).content);
  rsaKey.end();
  const modulusBits = bitLength(n);
  if (modulusBits < MIN_RSA_MODULUS_BITS || modulusBits > MAX_RSA_MODULUS_BITS || (n & 1n) === 0n) {
    throw new DecodeError("ERR_KEY", "SPKI: RSA modulus of an unsupported size or even");
  }
  if (e < 3n || (e & 1n) === 0n || e >= n) throw new DecodeError("ERR_KEY", "SPKI: bad RSA public exponent");
  return { kind, n, e, modulusBits, modulusBytes: Math.ceil(modulusBits / 8) };
}

function encodeSpki(algorithm: Uint8Array, key: { n: bigint; e: bigint }): Uint8Array<ArrayBuffer> {
  const rsaPublicKey = derEncode(TAG_SEQUENCE, derInteger(key.n), derInteger(key.e));
  return derEncode(TAG_SEQUENCE, algorithm, derEncode(TAG_BIT_STRING, new Uint8Array([0]), rsaPublicKey));
}

/**
 * The RFC 9578 §6.5 token key encoding: SPKI with id-RSASSA-PSS, SHA-384, MGF1-SHA-384, salt length 48.
 *
 * @example
 * ```ts
 * const pkS = encodePssSpki({ n, e: 65537n });
 * ```
 */
export function encodePssSpki(key: { n: bigint; e: bigint }): Uint8Array<ArrayBuffer> {
  return encodeSpki(PSS_ALGORITHM, key);
}

/**
 * The rsaEncryption SPKI of a key (what WebCrypto `importKey("spki", ...)` accepts everywhere).
 *
 * @example
 * ```ts
 * const spki = encodeRsaEncryptionSpki(parseRsaSpki(pkS));
 * ```
 */
export function encodeRsaEncryptionSpki(key: { n: bigint; e: bigint }): Uint8Array<ArrayBuffer> {
  return encodeSpki(RSA_ENCRYPTION_ALGORITHM, key);
}

/**
 * The same key as an RFC 9578 RSASSA-PSS SPKI (re-encoded, so OpenSSL's NULL-parameter form becomes RFC 9578's).
 *
 * @example
 * ```ts
 * const pkS = toPssSpki(new Uint8Array(publicKey.export({ type: "spki", format: "der" })));
 * ```
 */
export function toPssSpki(spki: Uint8Array): Uint8Array<ArrayBuffer> {
  return encodePssSpki(parseRsaSpki(spki));
}

/**
 * The same key as an rsaEncryption SPKI.
 *
 * @example
 * ```ts
 * const key = await crypto.subtle.importKey("spki", toRsaEncryptionSpki(pkS), { name: "RSA-PSS", hash: "SHA-384" }, false, ["verify"]);
 * ```
 */
export function toRsaEncryptionSpki(spki: Uint8Array): Uint8Array<ArrayBuffer> {
  return encodeRsaEncryptionSpki(parseRsaSpki(spki));
}
