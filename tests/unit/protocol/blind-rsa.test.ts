import {
  BLIND_RSA_VARIANTS,
  BlindRsa,
  bitLength,
  DecodeError,
  emsaPssEncode,
  emsaPssVerify,
  fromHex,
  i2osp,
  modInverse,
  modPow,
  os2ip,
  ProtocolError,
  type RsaPublicKey,
  toHex,
  VerificationError,
} from "@blindgate/sdk/protocol/internal";
import { describe, expect, it } from "vitest";
import emsaVector from "../../vectors/emsa-pss.json" with { type: "json" };
import vectors from "../../vectors/rfc9474-blind-rsa.json" with { type: "json" };

/*
 * RFC 9474 Appendix A: the four variants on one 4096-bit key. The server's BlindSign is a BigInt test signer
 * (blind_sig = blinded_msg^d mod n, then the RSAVP1 check); every intermediate value is asserted in hex.
 */

interface Vector {
  name: string;
  n: string;
  e: string;
  d: string;
  p: string;
  q: string;
  msg: string;
  msg_prefix: string;
  input_msg: string;
  sLen: string;
  salt: string;
  encoded_msg?: string;
  is_randomized: string;
  inv: string;
  blinded_msg: string;
  blind_sig: string;
  sig: string;
}

function publicKey(v: Vector): RsaPublicKey {
  const n = BigInt(v.n);
  const modulusBits = bitLength(n);
  return { n, e: BigInt(v.e), modulusBits, modulusBytes: Math.ceil(modulusBits / 8) };
}

/** RFC 9474 §4.3 BlindSign on BigInt: s = RSASP1(sk, m), then m' = RSAVP1(pk, s) must equal m. */
function testBlindSign(pk: RsaPublicKey, d: bigint, blindedMsg: Uint8Array): Uint8Array {
  const m = os2ip(blindedMsg);
  const s = modPow(m, d, pk.n);
  expect(modPow(s, pk.e, pk.n)).toBe(m);
  return i2osp(s, pk.modulusBytes);
}

const intHex = (hex: string, length: number) => toHex(i2osp(BigInt(hex), length));

describe.each(vectors as Vector[])("RFC 9474 $name", (v) => {
  const variant = BLIND_RSA_VARIANTS.find((x) => x.name === v.name)!;
  const rsa = new BlindRsa(variant);
  const pk = publicKey(v);

  it("has the variant's parameters and a consistent key", () => {
    expect(variant.saltLength).toBe(Number(v.sLen));
    expect(variant.randomized).toBe(Number(v.is_randomized) === 1);
    expect(BigInt(v.p) * BigInt(v.q)).toBe(pk.n);
    expect(pk.modulusBytes).toBe(512);
  });

  it("prepares, blinds, signs, finalizes and verifies to the published values", async () => {
    // Prepare
    const input = rsa.prepare(fromHex(v.msg), v.msg_prefix ? fromHex(v.msg_prefix) : undefined);
    expect(toHex(input)).toBe(v.input_msg);
    // Blind
    const blinded = await rsa.blind(pk, input, { salt: fromHex(v.salt), inv: BigInt(v.inv) });
    if (v.encoded_msg) expect(toHex(blinded.encodedMsg)).toBe(v.encoded_msg);
    expect(toHex(blinded.blindedMsg)).toBe(v.blinded_msg);
    expect(toHex(blinded.inv)).toBe(intHex(v.inv, 512));
    // BlindSign
    const blindSig = testBlindSign(pk, BigInt(v.d), blinded.blindedMsg);
    expect(toHex(blindSig)).toBe(v.blind_sig);
    // Finalize
    const sig = await rsa.finalize(pk, input, blindSig, blinded.inv);
    expect(toHex(sig)).toBe(v.sig);
    // Verify
    expect(await rsa.verify(pk, input, sig)).toBe(true);
    expect(await rsa.verify(pk, fromHex(v.msg.replace(/^../, "00")), sig)).toBe(false);
  });

  it("finalizes the published blind_sig with the injected inverse as bytes", async () => {
    const sig = await rsa.finalize(
      pk,
      fromHex(v.input_msg),
      fromHex(v.blind_sig),
      fromHex(intHex(v.inv, 512)),
    );
    expect(toHex(sig)).toBe(v.sig);
  });

  it("round-trips with a fresh random blind and salt (the inverse is r^-1)", async () => {
    const input = rsa.prepare(fromHex(v.msg));
    if (variant.randomized) expect(input.length).toBe(32 + v.msg.length / 2);
    const blinded = await rsa.blind(pk, input);
    const blindSig = testBlindSign(pk, BigInt(v.d), blinded.blindedMsg);
    const sig = await rsa.finalize(pk, input, blindSig, blinded.inv);
    expect(await rsa.verify(pk, input, sig)).toBe(true);
    // r = inv^-1 unblinds: blinded_msg = encoded_msg * r^e mod n
    const r = modInverse(os2ip(blinded.inv), pk.n)!;
    expect((os2ip(blinded.encodedMsg) * modPow(r, pk.e, pk.n)) % pk.n).toBe(os2ip(blinded.blindedMsg));
  });

  it("refuses a wrong blind signature, a short one, and one not below n", async () => {
    const input = fromHex(v.input_msg);
    const bad = fromHex(v.blind_sig);
    bad[100] = bad[100]! ^ 1;
    await expect(rsa.finalize(pk, input, bad, BigInt(v.inv))).rejects.toBeInstanceOf(VerificationError);
    await expect(rsa.finalize(pk, input, bad.subarray(1), BigInt(v.inv))).rejects.toBeInstanceOf(DecodeError);
    await expect(rsa.finalize(pk, input, i2osp(pk.n, 512), BigInt(v.inv))).rejects.toMatchObject({
      code: "ERR_INVALID_INPUT",
    });
    expect(await rsa.verify(pk, input, fromHex(v.sig).subarray(1))).toBe(false);
    expect(await rsa.verify(pk, input, i2osp(pk.n - 1n, 512))).toBe(false);
  });

  it("refuses an injected blind that is not invertible", async () => {
    await expect(rsa.blind(pk, fromHex(v.input_msg), { inv: BigInt(v.p) })).rejects.toMatchObject({
      code: "ERR_INVALID_INPUT",
    });
    await expect(rsa.blind(pk, fromHex(v.input_msg), { inv: 0n })).rejects.toBeInstanceOf(ProtocolError);
  });
});

describe("EMSA-PSS", () => {
  it("encodes the published vector (SHA-1, emBits 1023, 20-byte salt)", async () => {
    const params = { hash: "SHA-1", saltLength: 20 } as const;
    const em = await emsaPssEncode(fromHex(emsaVector.msg), 1023, params, fromHex(emsaVector.salt));
    expect(toHex(em)).toBe(emsaVector.expected);
    expect(await emsaPssVerify(fromHex(emsaVector.msg), em, 1023, params)).toBe(true);
    em[5] = em[5]! ^ 0x10;
    expect(await emsaPssVerify(fromHex(emsaVector.msg), em, 1023, params)).toBe(false);
  });

  it("fails to encode when emLen < hLen + sLen + 2 and refuses a salt of the wrong length", async () => {
    const params = { hash: "SHA-384", saltLength: 48 } as const;
    await expect(emsaPssEncode(new Uint8Array(1), 8 * 97, params)).rejects.toMatchObject({
      code: "ERR_MESSAGE_TOO_LONG",
    });
    await expect(emsaPssEncode(new Uint8Array(1), 2047, params, new Uint8Array(47))).rejects.toMatchObject({
      code: "ERR_INVALID_INPUT",
    });
  });

  it("verifies only well-formed encodings", async () => {
    const params = { hash: "SHA-384", saltLength: 48 } as const;
    const msg = new Uint8Array([1, 2, 3]);
    const em = await emsaPssEncode(msg, 2047, params);
    expect(await emsaPssVerify(msg, em, 2047, params)).toBe(true);
    expect(await emsaPssVerify(msg, em.subarray(1), 2047, params)).toBe(false);
    const noTrailer = em.slice();
    noTrailer[255] = 0xbb;
    expect(await emsaPssVerify(msg, noTrailer, 2047, params)).toBe(false);
    const topBit = em.slice();
    topBit[0] = topBit[0]! | 0x80;
    expect(await emsaPssVerify(msg, topBit, 2047, params)).toBe(false);
  });
});

describe("BigInt helpers", () => {
  it("modPow agrees with square-and-multiply for small and large exponents", () => {
    const m = (1n << 521n) - 1n;
    const naive = (b: bigint, e: bigint) => {
      let r = 1n;
      let x = b % m;
      for (let k = e; k > 0n; k >>= 1n) {
        if (k & 1n) r = (r * x) % m;
        x = (x * x) % m;
      }
      return r;
    };
    for (const e of [0n, 1n, 2n, 65537n, (1n << 200n) + 12345n, (1n << 700n) - 3n, (1n << 1600n) + 1n]) {
      expect(modPow(123456789n, e, m)).toBe(naive(123456789n, e));
    }
  });

  it("I2OSP and OS2IP round-trip and I2OSP refuses an integer too large", () => {
    expect(toHex(i2osp(0xabcn, 3))).toBe("000abc");
    expect(os2ip(fromHex("000abc"))).toBe(0xabcn);
    expect(os2ip(new Uint8Array(0))).toBe(0n);
    expect(() => i2osp(0x10000n, 2)).toThrow(ProtocolError);
    expect(modInverse(6n, 9n)).toBeUndefined();
    expect(modInverse(2n, 9n)).toBe(5n);
  });
});
