import { equalBytes, Reader, VerificationError } from "../protocol/index.js";
import { GateError } from "./errors.js";
import { keyIdOf, type TokenVerifierFactory, tokenKeyIdOf } from "./verifier.js";

/*
 * The default token verifier: WebCrypto only, so the gate runs on every runtime (Node, Deno, Bun, Workers).
 *
 * RFC 9578 §6.4 / RFC 9474: a type 0x0002 Token verifies when
 *   1. challenge_digest == SHA-256(TokenChallenge)
 *   2. token_key_id names a known key
 *   3. RSASSA-PSS-VERIFY(pkI, token_input, authenticator), SHA-384, MGF1-SHA-384, salt length 48, where
 *      token_input = token_type || nonce || challenge_digest || token_key_id (the first 98 bytes).
 *
 * Directory keys are SPKIs with the id-RSASSA-PSS OID (RFC 9578 §6.5). Several WebCrypto implementations import
 * only rsaEncryption SPKIs, so the key is re-wrapped with the rsaEncryption AlgorithmIdentifier first (the
 * RSAPublicKey inside is unchanged; the PSS parameters are those WebCrypto is given explicitly).
 */

const TOKEN_INPUT_LENGTH = 98;
const SALT_LENGTH = 48;
/** AlgorithmIdentifier { rsaEncryption, NULL }. */
const RSA_ENCRYPTION_ALGORITHM = new Uint8Array([
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
]);

/**
 * The WebCrypto verifier factory, the gate's default. Keys that do not import as RSA are left out (a token of
 * such a key is then an unknown key).
 *
 * @example
 * ```ts
 * const verifier = await webCryptoVerifierFactory([{ spki, meta: 18 }]);
 * const { meta } = await verifier.verify(token, { challenge: TokenChallenge.crossOrigin("gw.example").encode() });
 * ```
 */
export const webCryptoVerifierFactory: TokenVerifierFactory = async <M>(
  keys: { spki: Uint8Array; meta: M }[],
) => {
  const byId = new Map<string, { key: CryptoKey; meta: M; id: Uint8Array }>();
  for (const { spki, meta } of keys) {
    try {
      const key = await crypto.subtle.importKey(
        "spki",
        rsaEncryptionSpki(spki),
        { name: "RSA-PSS", hash: "SHA-384" },
        false,
        ["verify"],
      );
      const idHex = await keyIdOf(spki);
      byId.set(idHex, { key, meta, id: new Uint8Array(await crypto.subtle.digest("SHA-256", spki.slice())) });
    } catch {
      // Not an RSA key this runtime can use: tokens of it will be refused as unknown.
    }
  }
  return {
    async verify(token: Uint8Array, options: { challenge: Uint8Array }) {
      const keyIdHex = tokenKeyIdOf(token);
      // 2.
      const entry = byId.get(keyIdHex);
      if (entry === undefined) throw new VerificationError("ERR_UNKNOWN_KEY", "token: unknown key id");
      // 1.
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", options.challenge.slice()));
      if (!equalBytes(digest, token.subarray(34, 66))) {
        throw new VerificationError("ERR_CHALLENGE_MISMATCH", "token: answers another challenge");
      }
      // 3.
      const ok = await crypto.subtle.verify(
        { name: "RSA-PSS", saltLength: SALT_LENGTH },
        entry.key,
        token.slice(TOKEN_INPUT_LENGTH),
        token.slice(0, TOKEN_INPUT_LENGTH),
      );
      if (!ok) throw new VerificationError("ERR_VERIFY", "token: signature does not verify");
      return { tokenKeyId: entry.id, meta: entry.meta };
    },
  };
};

/**
 * The gate's default verifier factory: {@link webCryptoVerifierFactory}.
 *
 * @example
 * ```ts
 * createAgeGate({ issuers, minAge: 18, session, verifier: defaultVerifierFactory }); // same as leaving it out
 * ```
 */
export const defaultVerifierFactory: TokenVerifierFactory = webCryptoVerifierFactory;

/**
 * SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }: the same key
 * under the rsaEncryption AlgorithmIdentifier. Throws GateError("CONFIG") on anything that is not an SPKI.
 */
function rsaEncryptionSpki(spki: Uint8Array): Uint8Array<ArrayBuffer> {
  try {
    const outer = new Reader(spki, "SPKI");
    const body = derElement(outer, 0x30);
    outer.end();
    const inner = new Reader(body, "SPKI");
    derElement(inner, 0x30); // the AlgorithmIdentifier, replaced
    const bitString = derElement(inner, 0x03);
    inner.end();
    const bitStringTlv = concatBytes([new Uint8Array([0x03]), derLength(bitString.length), bitString]);
    const content = concatBytes([RSA_ENCRYPTION_ALGORITHM, bitStringTlv]);
    return concatBytes([new Uint8Array([0x30]), derLength(content.length), content]);
  } catch (cause) {
    throw new GateError("CONFIG", "token key: not a SubjectPublicKeyInfo", { cause });
  }
}

/** Read one DER element with the expected tag; returns its content. */
function derElement(reader: Reader, tag: number): Uint8Array {
  if (reader.u8() !== tag) throw new GateError("CONFIG", "DER: unexpected tag");
  const first = reader.u8();
  let length = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 3) throw new GateError("CONFIG", "DER: unsupported length");
    length = 0;
    for (let i = 0; i < n; i++) length = (length << 8) | reader.u8();
  }
  return reader.bytesN(length);
}

function derLength(length: number): Uint8Array {
  if (length < 0x80) return new Uint8Array([length]);
  if (length < 0x100) return new Uint8Array([0x81, length]);
  return new Uint8Array([0x82, length >> 8, length & 0xff]);
}

function concatBytes(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
