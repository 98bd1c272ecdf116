import { concat } from "../bytes.js";
import { DecodeError, ProtocolError, VerificationError } from "../errors.js";
import { encodeRsaEncryptionSpki } from "../spki.js";
import { gcd, i2osp, modInverse, modInverseAll, modPow, os2ip, randomIntegerBelow } from "./bigint.js";
import { emsaPssEncode, emsaPssVerify } from "./emsa-pss.js";

/*
 * RFC 9474, RSA Blind Signatures — the client side (Prepare, Blind, Finalize) and signature verification, on
 * WebCrypto (hashes, RSASSA-PSS-VERIFY) and native BigInt (the blinding arithmetic): browser-safe, no node:
 * import. The server side (BlindSign) runs on node:crypto in functions/issuer.
 *
 * Cost per token, by design: Blind is EMSA-PSS (WebCrypto hashes), one r^e mod n and a share of one modular
 * inverse per batch (blindMany); Finalize is one multiplication and one WebCrypto verify, under a key imported
 * once per RsaPublicKey object.
 */

/** An RSA public key: modulus n, public exponent e, and the modulus length in bits and bytes (modulus_len). */
export interface RsaPublicKey {
  readonly n: bigint;
  readonly e: bigint;
  /** bit_len(n) */
  readonly modulusBits: number;
  /** modulus_len = ceil(bit_len(n) / 8) */
  readonly modulusBytes: number;
}

/** An RFC 9474 §5 variant: hash (SHA-384 for all four), salt length, and whether Prepare randomizes. */
export interface BlindRsaVariant {
  readonly name: string;
  readonly hash: "SHA-384";
  /** sLen in bytes: 48 (PSS) or 0 (PSSZERO) */
  readonly saltLength: number;
  /** PrepareRandomize (32-byte prefix) when true, PrepareIdentity otherwise. */
  readonly randomized: boolean;
}

/** RSABSSA-SHA384-PSS-Randomized (RFC 9474 §5, the recommended variant). */
export const RSABSSA_SHA384_PSS_RANDOMIZED: BlindRsaVariant = Object.freeze({
  name: "RSABSSA-SHA384-PSS-Randomized",
  hash: "SHA-384",
  saltLength: 48,
  randomized: true,
});
/** RSABSSA-SHA384-PSSZERO-Randomized (RFC 9474 §5). */
export const RSABSSA_SHA384_PSSZERO_RANDOMIZED: BlindRsaVariant = Object.freeze({
  name: "RSABSSA-SHA384-PSSZERO-Randomized",
  hash: "SHA-384",
  saltLength: 0,
  randomized: true,
});
/** RSABSSA-SHA384-PSS-Deterministic (RFC 9474 §5): the variant of Privacy Pass token type 0x0002 (RFC 9578). */
export const RSABSSA_SHA384_PSS_DETERMINISTIC: BlindRsaVariant = Object.freeze({
  name: "RSABSSA-SHA384-PSS-Deterministic",
  hash: "SHA-384",
  saltLength: 48,
  randomized: false,
});
/** RSABSSA-SHA384-PSSZERO-Deterministic (RFC 9474 §5). */
export const RSABSSA_SHA384_PSSZERO_DETERMINISTIC: BlindRsaVariant = Object.freeze({
  name: "RSABSSA-SHA384-PSSZERO-Deterministic",
  hash: "SHA-384",
  saltLength: 0,
  randomized: false,
});

/** The four variants of RFC 9474 §5, by name. */
export const BLIND_RSA_VARIANTS: readonly BlindRsaVariant[] = Object.freeze([
  RSABSSA_SHA384_PSS_RANDOMIZED,
  RSABSSA_SHA384_PSSZERO_RANDOMIZED,
  RSABSSA_SHA384_PSS_DETERMINISTIC,
  RSABSSA_SHA384_PSSZERO_DETERMINISTIC,
]);

/** Length of the random prefix of PrepareRandomize. */
export const MSG_PREFIX_LENGTH = 32;

/** What Blind returns: the message for the signer and the inverse the client keeps for Finalize. */
export interface BlindOutput {
  /** blinded_msg, modulus_len bytes: goes to the signer. */
  readonly blindedMsg: Uint8Array<ArrayBuffer>;
  /** inv = r^-1 mod n as modulus_len bytes: secret, kept until Finalize. */
  readonly inv: Uint8Array<ArrayBuffer>;
  /** encoded_msg (EMSA-PSS), modulus_len bytes: an intermediate value, exposed for test vectors. */
  readonly encodedMsg: Uint8Array<ArrayBuffer>;
}

/** Values Blind normally draws at random; injected only to reproduce published vectors. */
export interface BlindOptions {
  /** The EMSA-PSS salt (sLen bytes). */
  salt?: Uint8Array;
  /** The blind inverse inv = r^-1 mod n (r is derived from it). RFC 9474's vectors publish inv. */
  inv?: Uint8Array | bigint;
  /** The blind r itself (inv is derived from it). RFC 9578's vectors publish r as "blind". */
  r?: Uint8Array | bigint;
}

const toBigInt = (x: Uint8Array | bigint): bigint => (typeof x === "bigint" ? x : os2ip(x));

function rsavp1(pk: RsaPublicKey, s: bigint): bigint {
  // 1. If the signature representative s is not between 0 and n - 1, "signature representative out of range".
  if (s < 0n || s >= pk.n)
    throw new ProtocolError("ERR_INVALID_INPUT", "RSAVP1: representative out of range");
  // 2. m = s^e mod n
  return modPow(s, pk.e, pk.n);
}

/**
 * The key as WebCrypto imported it for RSA-PSS SHA-384 verification, once per RsaPublicKey object; undefined when
 * this runtime's WebCrypto refuses it (then verification runs on BigInt).
 */
const imported = new WeakMap<RsaPublicKey, Promise<CryptoKey | undefined>>();

function importedKey(pk: RsaPublicKey): Promise<CryptoKey | undefined> {
  let key = imported.get(pk);
  if (key === undefined) {
    key = crypto.subtle
      .importKey("spki", encodeRsaEncryptionSpki(pk), { name: "RSA-PSS", hash: "SHA-384" }, false, ["verify"])
      .catch(() => undefined);
    imported.set(pk, key);
  }
  return key;
}

/**
 * RFC 9474 blind RSA for one variant: Prepare, Blind, Finalize and Verify.
 *
 * @example
 * ```ts
 * const rsa = new BlindRsa(RSABSSA_SHA384_PSS_DETERMINISTIC);
 * const input = rsa.prepare(msg);
 * const { blindedMsg, inv } = await rsa.blind(publicKey, input);
 * const sig = await rsa.finalize(publicKey, input, blindSigFromServer, inv);
 * ```
 */
export class BlindRsa {
  constructor(readonly variant: BlindRsaVariant) {}

  /**
   * RFC 9474 §4.1 Prepare: PrepareIdentity returns msg; PrepareRandomize returns a fresh 32-byte random prefix
   * followed by msg (`prefix` injects the prefix for vectors).
   */
  prepare(msg: Uint8Array, prefix?: Uint8Array): Uint8Array<ArrayBuffer> {
    if (!this.variant.randomized) return concat(msg) as Uint8Array<ArrayBuffer>;
    let msgPrefix: Uint8Array;
    if (prefix === undefined) {
      // 1. msg_prefix = random(32)
      msgPrefix = crypto.getRandomValues(new Uint8Array(MSG_PREFIX_LENGTH));
    } else {
      if (prefix.length !== MSG_PREFIX_LENGTH)
        throw new ProtocolError("ERR_INVALID_INPUT", "prefix: not 32 bytes");
      msgPrefix = prefix;
    }
    // 2. input_msg = concat(msg_prefix, msg)
    return concat(msgPrefix, msg) as Uint8Array<ArrayBuffer>;
  }

  /**
   * RFC 9474 §4.2 Blind. Throws ProtocolError("ERR_MESSAGE_TOO_LONG") when the key is too small for the
   * encoding and ProtocolError("ERR_INVALID_INPUT") when the encoded message is not invertible mod n.
   */
  async blind(pk: RsaPublicKey, msg: Uint8Array, options: BlindOptions = {}): Promise<BlindOutput> {
    const [out] = await this.blindMany(pk, [msg], [options]);
    return out!;
  }

  /**
   * RFC 9474 §4.2 Blind of many messages under one key, as {@link blind} does each: the hashing runs
   * concurrently and the modular inverses of step 6 share one extended Euclid (Montgomery's trick), so a batch
   * costs one inverse in all instead of one per message. `options[i]` goes with `msgs[i]`.
   *
   * @example
   * ```ts
   * const outputs = await rsa.blindMany(publicKey, inputs); // [{ blindedMsg, inv, encodedMsg }, ...]
   * ```
   */
  async blindMany(
    pk: RsaPublicKey,
    msgs: readonly Uint8Array[],
    options: readonly BlindOptions[] = [],
  ): Promise<BlindOutput[]> {
    const { n } = pk;
    const params = { hash: this.variant.hash, saltLength: this.variant.saltLength };
    // 1. encoded_msg = EMSA-PSS-ENCODE(msg, bit_len(n) - 1) (emBits = modBits - 1 as in RFC 8017 §8.1.1;
    //    the published vectors agree)
    // 2. If EMSA-PSS-ENCODE raises an error, re-raise the error and stop
    const encoded = await Promise.all(
      msgs.map((msg, i) => emsaPssEncode(msg, pk.modulusBits - 1, params, options[i]?.salt)),
    );
    // 3. m = bytes_to_int(encoded_msg)
    const ms = encoded.map((em) => {
      const m = os2ip(em);
      if (m >= n) throw new ProtocolError("ERR_INVALID_INPUT", "blind: encoded message not below n");
      return m;
    });
    const rs = new Array<bigint>(ms.length);
    const invs = new Array<bigint>(ms.length);
    const drawn: number[] = [];
    ms.forEach((m, i) => {
      const given = options[i];
      if (given?.inv === undefined && given?.r === undefined) {
        // 5. r = random_integer_uniform(1, n)
        rs[i] = randomIntegerBelow(n);
        drawn.push(i);
        return;
      }
      // 4. c = is_coprime(m, n); If c is false, raise an "invalid input" error and stop
      if (gcd(m, n) !== 1n) throw new ProtocolError("ERR_INVALID_INPUT", "blind: message not coprime to n");
      // 5.-6. with an injected blind: inv = inverse_mod(r, n), or r = inverse_mod(inv, n) for an injected inv
      const value = toBigInt((given.r ?? given.inv)!);
      const other = value > 0n && value < n ? modInverse(value, n) : undefined;
      if (other === undefined) throw new ProtocolError("ERR_INVALID_INPUT", "blind: invalid blind");
      [rs[i], invs[i]] = given.r === undefined ? [other, value] : [value, other];
    });
    // 4. + 6. For drawn blinds, one inversion answers both is_coprime(m, n) and inverse_mod(r, n): m*r is
    //    invertible iff m and r are, and then inv = (m*r)^-1 * m. The inverses of all m*r come from one
    //    extended Euclid (modInverseAll).
    const products = drawn.map((i) => (ms[i]! * rs[i]!) % n);
    modInverseAll(products, n).forEach((u, j) => {
      const i = drawn[j]!;
      if (u === undefined)
        throw new ProtocolError("ERR_INVALID_INPUT", "blind: message or blind not invertible");
      invs[i] = (u * ms[i]!) % n;
    });
    return ms.map((m, i) => {
      // 7. x = RSAVP1(pk, r)
      const x = rsavp1(pk, rs[i]!);
      // 8. z = m * x mod n
      const z = (m * x) % n;
      // 9. blinded_msg = int_to_bytes(z, modulus_len)
      // 10. output blinded_msg, inv
      return {
        blindedMsg: i2osp(z, pk.modulusBytes),
        inv: i2osp(invs[i]!, pk.modulusBytes),
        encodedMsg: encoded[i]!,
      };
    });
  }

  /**
   * RFC 9474 §4.4 Finalize: unblind the signer's answer and check it. Throws VerificationError("ERR_VERIFY")
   * when the result is not a valid signature of msg (a faulty or malicious signer).
   */
  async finalize(
    pk: RsaPublicKey,
    msg: Uint8Array,
    blindSig: Uint8Array,
    inv: Uint8Array | bigint,
  ): Promise<Uint8Array<ArrayBuffer>> {
    // 1. If len(blind_sig) != modulus_len, raise an "unexpected input size" error and stop
    if (blindSig.length !== pk.modulusBytes) {
      throw new DecodeError("ERR_DECODE_LENGTH", "finalize: blind_sig is not modulus_len bytes");
    }
    // 2. z = bytes_to_int(blind_sig)
    const z = os2ip(blindSig);
    if (z >= pk.n) throw new ProtocolError("ERR_INVALID_INPUT", "finalize: blind_sig not below n");
    const invInt = toBigInt(inv);
    // 3. s = z * inv mod n
    const s = (z * invInt) % pk.n;
    // 4. sig = int_to_bytes(s, modulus_len)
    const sig = i2osp(s, pk.modulusBytes);
    // 5. result = RSASSA-PSS-VERIFY(pk, msg, sig) with Hash, MGF, and sLen as defined in the parameters
    // 6. If result = "valid signature", output sig, else raise an "invalid signature" error and stop
    if (!(await this.verify(pk, msg, sig))) {
      throw new VerificationError("ERR_VERIFY", "finalize: the signer's answer does not verify");
    }
    return sig;
  }

  /**
   * RSASSA-PSS-VERIFY (RFC 8017 §8.1.2) of the variant (RFC 9474 §4.5): true when sig is a valid signature of msg.
   * One WebCrypto verify under the key imported once per `pk` object; on BigInt only when WebCrypto refuses the
   * key. Never throws for a bad signature.
   */
  async verify(pk: RsaPublicKey, msg: Uint8Array, sig: Uint8Array): Promise<boolean> {
    // 1. Length checking: If the length of the signature S is not k octets, "invalid signature".
    if (sig.length !== pk.modulusBytes) return false;
    const key = await importedKey(pk);
    if (key !== undefined) {
      // 2. RSAVP1 and 3. EMSA-PSS-VERIFY(M, EM, modBits - 1) in one WebCrypto call (RSA-PSS, SHA-384,
      //    MGF1-SHA-384, sLen of the variant)
      return crypto.subtle
        .verify(
          { name: "RSA-PSS", saltLength: this.variant.saltLength },
          key,
          sig as Uint8Array<ArrayBuffer>,
          msg as Uint8Array<ArrayBuffer>,
        )
        .catch(() => false);
    }
    // 2a. s = OS2IP(S)
    const s = os2ip(sig);
    // 2b. m = RSAVP1((n, e), s); out of range: "invalid signature"
    if (s >= pk.n) return false;
    const m = modPow(s, pk.e, pk.n);
    // 2c. EM = I2OSP(m, emLen), emLen = ceil((modBits - 1) / 8); "integer too large": "invalid signature"
    const emBits = pk.modulusBits - 1;
    const emLen = Math.ceil(emBits / 8);
    if (m >> BigInt(8 * emLen) !== 0n) return false;
    const em = i2osp(m, emLen);
    // 3. Result = EMSA-PSS-VERIFY(M, EM, modBits - 1)
    return emsaPssVerify(msg, em, emBits, { hash: this.variant.hash, saltLength: this.variant.saltLength });
  }
}
