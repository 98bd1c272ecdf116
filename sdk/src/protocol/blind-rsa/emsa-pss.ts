import { sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { ProtocolError } from "../errors.js";

/*
 * EMSA-PSS encoding and verification (RFC 8017 §9.1) with MGF1 (RFC 8017 §B.2.1). RFC 9474 uses SHA-384 for both
 * the message hash and MGF1; other SHA hashes are accepted for published vectors.
 *
 * The hashes here are @noble/hashes (synchronous, browser-safe, already the protocol core's hash library for
 * ACT), not WebCrypto: EMSA-PSS of one token hashes 7 short inputs, and each WebCrypto digest is an async hop
 * that cost about 4x the hash itself in Node (bench/suites/protocol.ts, client blind). `digest` stays WebCrypto.
 */

/** A hash WebCrypto's `digest` knows, with its output length in bytes. */
export type PssHash = "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";

/** Output length of each hash, in bytes (hLen). */
export const HASH_LENGTH: Readonly<Record<PssHash, number>> = Object.freeze({
  "SHA-1": 20,
  "SHA-256": 32,
  "SHA-384": 48,
  "SHA-512": 64,
});

/** EMSA-PSS parameters: the hash (message and MGF1) and the salt length sLen in bytes. */
export interface PssParams {
  readonly hash: PssHash;
  readonly saltLength: number;
}

/** Hash of `data` with WebCrypto. */
export async function digest(hash: PssHash, data: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest(hash, data as Uint8Array<ArrayBuffer>));
}

const HASHES: Readonly<Record<PssHash, (data: Uint8Array) => Uint8Array>> = Object.freeze({
  "SHA-1": sha1,
  "SHA-256": sha256,
  "SHA-384": sha384,
  "SHA-512": sha512,
});

/** Hash of `data`, synchronously (the hash of EMSA-PSS and MGF1). */
function hashOf(hash: PssHash, data: Uint8Array): Uint8Array {
  return HASHES[hash](data);
}

/** MGF1 (RFC 8017 §B.2.1): maskLen bytes of Hash(mgfSeed || I2OSP(counter, 4)) for counter = 0, 1, ... */
export async function mgf1(
  hash: PssHash,
  seed: Uint8Array,
  maskLen: number,
): Promise<Uint8Array<ArrayBuffer>> {
  return mgf1Sync(hash, seed, maskLen);
}

function mgf1Sync(hash: PssHash, seed: Uint8Array, maskLen: number): Uint8Array<ArrayBuffer> {
  const hLen = HASH_LENGTH[hash];
  const blocks = Math.ceil(maskLen / hLen);
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  const mask = new Uint8Array(maskLen);
  for (let counter = 0; counter < blocks; counter++) {
    // C = I2OSP(counter, 4); T = T || Hash(mgfSeed || C)
    input[seed.length] = counter >>> 24;
    input[seed.length + 1] = (counter >>> 16) & 0xff;
    input[seed.length + 2] = (counter >>> 8) & 0xff;
    input[seed.length + 3] = counter & 0xff;
    const part = hashOf(hash, input);
    mask.set(part.subarray(0, Math.min(hLen, maskLen - counter * hLen)), counter * hLen);
  }
  return mask;
}

/**
 * EMSA-PSS-ENCODE(M, emBits) of RFC 8017 §9.1.1. `salt` defaults to sLen fresh random bytes; a given salt must
 * be sLen bytes long. Throws ProtocolError("ERR_MESSAGE_TOO_LONG") for "encoding error" (emLen too small).
 *
 * @example
 * ```ts
 * const em = await emsaPssEncode(msg, 2047, { hash: "SHA-384", saltLength: 48 });
 * ```
 */
export async function emsaPssEncode(
  msg: Uint8Array,
  emBits: number,
  params: PssParams,
  salt?: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  const hLen = HASH_LENGTH[params.hash];
  const sLen = params.saltLength;
  const emLen = Math.ceil(emBits / 8);
  // 1. (message length limit of the hash: not reachable with in-memory messages)
  // 2. mHash = Hash(M)
  const mHash = hashOf(params.hash, msg);
  // 3. If emLen < hLen + sLen + 2, output "encoding error" and stop.
  if (emLen < hLen + sLen + 2) throw new ProtocolError("ERR_MESSAGE_TOO_LONG", "EMSA-PSS: encoding error");
  // 4. Generate a random octet string salt of length sLen.
  let s: Uint8Array;
  if (salt === undefined) {
    s = crypto.getRandomValues(new Uint8Array(sLen));
  } else {
    if (salt.length !== sLen)
      throw new ProtocolError("ERR_INVALID_INPUT", "EMSA-PSS: salt of the wrong length");
    s = salt;
  }
  // 5. M' = (0x)00 00 00 00 00 00 00 00 || mHash || salt
  const mPrime = new Uint8Array(8 + hLen + sLen);
  mPrime.set(mHash, 8);
  mPrime.set(s, 8 + hLen);
  // 6. H = Hash(M')
  const h = hashOf(params.hash, mPrime);
  // 7.-8. DB = PS || 0x01 || salt, PS being emLen - sLen - hLen - 2 zero octets
  const dbLen = emLen - hLen - 1;
  const db = new Uint8Array(dbLen);
  db[dbLen - sLen - 1] = 0x01;
  db.set(s, dbLen - sLen);
  // 9. dbMask = MGF(H, emLen - hLen - 1)
  const dbMask = mgf1Sync(params.hash, h, dbLen);
  // 10. maskedDB = DB \xor dbMask
  for (let i = 0; i < dbLen; i++) db[i] = db[i]! ^ dbMask[i]!;
  // 11. Set the leftmost 8emLen - emBits bits of the leftmost octet in maskedDB to zero.
  db[0] = db[0]! & (0xff >> (8 * emLen - emBits));
  // 12. EM = maskedDB || H || 0xbc
  const em = new Uint8Array(emLen);
  em.set(db);
  em.set(h, dbLen);
  em[emLen - 1] = 0xbc;
  // 13. Output EM.
  return em;
}

/**
 * EMSA-PSS-VERIFY(M, EM, emBits) of RFC 8017 §9.1.2: true for "consistent", false for "inconsistent".
 *
 * @example
 * ```ts
 * const ok = await emsaPssVerify(msg, em, 2047, { hash: "SHA-384", saltLength: 48 });
 * ```
 */
export async function emsaPssVerify(
  msg: Uint8Array,
  em: Uint8Array,
  emBits: number,
  params: PssParams,
): Promise<boolean> {
  const hLen = HASH_LENGTH[params.hash];
  const sLen = params.saltLength;
  const emLen = Math.ceil(emBits / 8);
  if (em.length !== emLen) return false;
  // 2. mHash = Hash(M)
  const mHash = hashOf(params.hash, msg);
  // 3. If emLen < hLen + sLen + 2, output "inconsistent" and stop.
  if (emLen < hLen + sLen + 2) return false;
  // 4. If the rightmost octet of EM does not have hexadecimal value 0xbc, output "inconsistent" and stop.
  if (em[emLen - 1] !== 0xbc) return false;
  // 5. maskedDB = the leftmost emLen - hLen - 1 octets of EM, H = the next hLen octets.
  const dbLen = emLen - hLen - 1;
  const maskedDb = em.subarray(0, dbLen);
  const h = em.subarray(dbLen, dbLen + hLen);
  // 6. If the leftmost 8emLen - emBits bits of the leftmost octet in maskedDB are not all zero, "inconsistent".
  const topMask = 0xff >> (8 * emLen - emBits);
  if ((maskedDb[0]! & ~topMask & 0xff) !== 0) return false;
  // 7. dbMask = MGF(H, emLen - hLen - 1)
  const dbMask = mgf1Sync(params.hash, h, dbLen);
  // 8. DB = maskedDB \xor dbMask
  const db = new Uint8Array(dbLen);
  for (let i = 0; i < dbLen; i++) db[i] = maskedDb[i]! ^ dbMask[i]!;
  // 9. Set the leftmost 8emLen - emBits bits of the leftmost octet in DB to zero.
  db[0] = db[0]! & topMask;
  // 10. The emLen - hLen - sLen - 2 leftmost octets of DB must be zero and the next one 0x01.
  const psLen = emLen - hLen - sLen - 2;
  let bad = db[psLen]! ^ 0x01;
  for (let i = 0; i < psLen; i++) bad |= db[i]!;
  if (bad !== 0) return false;
  // 11. salt = the last sLen octets of DB.
  const salt = db.subarray(dbLen - sLen);
  // 12.-13. M' = (0x)00 00 00 00 00 00 00 00 || mHash || salt; H' = Hash(M')
  const mPrime = new Uint8Array(8 + hLen + sLen);
  mPrime.set(mHash, 8);
  mPrime.set(salt, 8 + hLen);
  const hPrime = hashOf(params.hash, mPrime);
  // 14. If H = H', output "consistent"; otherwise "inconsistent".
  let diff = 0;
  for (let i = 0; i < hLen; i++) diff |= h[i]! ^ hPrime[i]!;
  return diff === 0;
}
