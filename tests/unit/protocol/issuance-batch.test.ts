import { constants, generateKeyPairSync, privateDecrypt } from "node:crypto";
import {
  BLIND_RSA_VARIANTS,
  BlindRsa,
  beginIssuance,
  beginIssuanceBatch,
  createTokenVerifier,
  finishIssuance,
  finishIssuanceBatch,
  fromHex,
  modInverse,
  modInverseAll,
  type RsaPublicKey,
  TokenChallenge,
  TokenResponse,
  toHex,
  toPssSpki,
  VerificationError,
} from "@blindgate/sdk/protocol/internal";
import { describe, expect, it } from "vitest";
import vectors from "../../vectors/rfc9474-blind-rsa.json" with { type: "json" };
import rfc9578 from "../../vectors/rfc9578-type2-issuance.json" with { type: "json" };

/*
 * The batch paths of the client: modInverseAll (Montgomery's trick) against one inverse at a time, blindMany
 * against the RFC 9474 vectors (every intermediate value), and beginIssuanceBatch / finishIssuanceBatch against
 * the single-token calls, a real RSA signer and a site verifier.
 */

function signerFor() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const spki = toPssSpki(new Uint8Array(publicKey.export({ type: "spki", format: "der" })));
  const sign = (blindedMsg: Uint8Array) =>
    new TokenResponse(
      new Uint8Array(privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, blindedMsg)),
    );
  return { spki, sign };
}

describe("modInverseAll", () => {
  const n = BigInt(vectors[0]!.n);
  const p = BigInt(vectors[0]!.p);

  it("gives each value's inverse, as modInverse does one at a time", () => {
    const values = [1n, 2n, 3n, n - 1n, 123456789n ** 7n, n + 5n];
    expect(modInverseAll(values, n)).toEqual(values.map((v) => modInverse(v, n)));
    expect(modInverseAll([], n)).toEqual([]);
  });

  it("leaves undefined only where a value is not invertible", () => {
    const out = modInverseAll([2n, p, 0n, 7n], n);
    expect(out).toEqual([modInverse(2n, n), undefined, undefined, modInverse(7n, n)]);
  });
});

describe("BlindRsa.blindMany", () => {
  it("reproduces every RFC 9474 vector in one batch, intermediate values included", async () => {
    for (const v of vectors) {
      const rsa = new BlindRsa(BLIND_RSA_VARIANTS.find((x) => x.name === v.name)!);
      const n = BigInt(v.n);
      const pk: RsaPublicKey = { n, e: BigInt(v.e), modulusBits: 4096, modulusBytes: 512 };
      const input = fromHex(v.input_msg);
      const [a, b] = await rsa.blindMany(
        pk,
        [input, input],
        [
          { salt: fromHex(v.salt), inv: BigInt(v.inv) },
          { salt: fromHex(v.salt), inv: BigInt(v.inv) },
        ],
      );
      for (const out of [a!, b!]) {
        if (v.encoded_msg) expect(toHex(out.encodedMsg)).toBe(v.encoded_msg);
        expect(toHex(out.blindedMsg)).toBe(v.blinded_msg);
      }
      expect(toHex(await rsa.finalize(pk, input, fromHex(v.blind_sig), a!.inv))).toBe(v.sig);
    }
  });

  it("draws a fresh blind per message, and each unblinds", async () => {
    const v = vectors[2]!;
    const rsa = new BlindRsa(BLIND_RSA_VARIANTS.find((x) => x.name === v.name)!);
    const pk: RsaPublicKey = { n: BigInt(v.n), e: BigInt(v.e), modulusBits: 4096, modulusBytes: 512 };
    const input = fromHex(v.input_msg);
    const outs = await rsa.blindMany(pk, [input, input, input]);
    expect(new Set(outs.map((o) => toHex(o.inv))).size).toBe(3);
    const d = BigInt(v.d);
    for (const out of outs) {
      let m = 0n;
      for (const byte of out.blindedMsg) m = (m << 8n) | BigInt(byte);
      let s = 1n;
      let base = m % pk.n;
      for (let e = d; e > 0n; e >>= 1n) {
        if (e & 1n) s = (s * base) % pk.n;
        base = (base * base) % pk.n;
      }
      const blindSig = fromHex(s.toString(16).padStart(1024, "0"));
      expect(await rsa.verify(pk, input, await rsa.finalize(pk, input, blindSig, out.inv))).toBe(true);
    }
  });
});

describe("beginIssuanceBatch / finishIssuanceBatch", () => {
  const challenge = TokenChallenge.crossOrigin("issuer.example").encode();

  it("issues tokens of two keys in the order asked, each verifying at a site", async () => {
    const k1 = signerFor();
    const k2 = signerFor();
    const keys = [k1, k2, k1, k1, k2];
    const begun = await beginIssuanceBatch({ challenge, tokenKeys: keys.map((k) => k.spki) });
    expect(begun).toHaveLength(5);
    const responses = begun.map((b, i) => keys[i]!.sign(b.request.blindedMsg));
    const tokens = await finishIssuanceBatch(
      begun.map((b) => b.pending),
      responses,
    );
    const verifier = await createTokenVerifier([
      { spki: k1.spki, meta: 1 },
      { spki: k2.spki, meta: 2 },
    ]);
    const metas = await Promise.all(tokens.map(async (t) => (await verifier.verify(t!, { challenge })).meta));
    expect(metas).toEqual([1, 2, 1, 1, 2]);
    expect(new Set(tokens.map((t) => toHex(t!.nonce))).size).toBe(5);
    // the single-token call finishes a batch's pending token too
    expect(toHex((await finishIssuance(begun[1]!.pending, responses[1]!)).encode())).toBe(
      toHex(tokens[1]!.encode()),
    );
  });

  it("answers null where the issuer answered null, and refuses the batch when one answer does not verify", async () => {
    const k = signerFor();
    const begun = await beginIssuanceBatch({ challenge, tokenKeys: [k.spki, k.spki, k.spki] });
    const responses = begun.map((b) => k.sign(b.request.blindedMsg));
    const partial = await finishIssuanceBatch(
      begun.map((b) => b.pending),
      [responses[0]!, null, responses[2]!],
    );
    expect(partial.map((t) => t === null)).toEqual([false, true, false]);
    const bad = responses[1]!.blindSig.slice();
    bad[10] = bad[10]! ^ 1;
    await expect(
      finishIssuanceBatch(
        begun.map((b) => b.pending),
        [responses[0]!, new TokenResponse(bad), responses[2]!],
      ),
    ).rejects.toBeInstanceOf(VerificationError);
    await expect(finishIssuanceBatch([begun[0]!.pending], [])).rejects.toMatchObject({
      code: "ERR_INVALID_INPUT",
    });
  });

  it("refuses a key that is not RSA-2048 before drawing anything", async () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
    const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
    await expect(beginIssuanceBatch({ challenge, tokenKeys: [spki] })).rejects.toMatchObject({
      code: "ERR_KEY",
    });
    await expect(beginIssuance({ challenge, tokenKey: spki })).rejects.toMatchObject({ code: "ERR_KEY" });
  });

  it("matches the RFC 9578 vector when run twice in a row (key and challenge caches)", async () => {
    for (let round = 0; round < 2; round++) {
      for (const v of rfc9578) {
        const { request, pending } = await beginIssuance({
          challenge: fromHex(v.token_challenge),
          tokenKey: fromHex(v.pkS),
          nonce: fromHex(v.nonce),
          salt: fromHex(v.salt),
          blind: fromHex(v.blind),
        });
        expect(toHex(request.encode())).toBe(v.token_request);
        const token = await finishIssuance(pending, TokenResponse.decode(fromHex(v.token_response)));
        expect(toHex(token.encode())).toBe(v.token);
      }
    }
  });
});
