import { constants, createPrivateKey, createPublicKey, privateDecrypt, verify } from "node:crypto";
import { performance } from "node:perf_hooks";
import { createNodeTokenVerifier } from "@blindgate/sdk/node";
import {
  type BegunToken,
  beginIssuance,
  beginIssuanceBatch,
  createTokenVerifier,
  finishIssuance,
  finishIssuanceBatch,
  modInverse,
  modPow,
  parseRsaSpki,
  randomIntegerBelow,
  TOKEN_AUTHENTICATOR_INPUT_LENGTH,
  TokenChallenge,
  TokenResponse,
  toRsaEncryptionSpki,
} from "@blindgate/sdk/protocol/internal";
import { BlindSigner, generateTokenKey } from "../../functions/issuer/index.js";
import { compare, pairedDurations, report } from "../harness.js";

/*
 * The protocol's hot paths, each beside the primitive it cannot beat, measured in alternating rounds of the same
 * run (the first round a warm-up):
 * - the issuer's BlindSign (RSASP1 + the RSAVP1 fault check) vs a raw RSA-2048 private operation;
 * - a site's token verification, OpenSSL (createNodeTokenVerifier) and WebCrypto (createTokenVerifier), vs a raw
 *   crypto.verify RSA-PSS;
 * - the client's blind + finalize (browser-safe BigInt/WebCrypto code, run in Node), one token at a time and as
 *   a batch of 20 (the wallet's), vs the primitives it needs per token: r^e mod n (modPow), the inverse of the
 *   blind (modInverse: one per token, one per batch) and one crypto.subtle.verify;
 * - a batch of 100 blind signatures vs 100 raw private operations.
 */

const SUITE = "protocol";
const WALLET_BATCH = 20;

export default async function protocolSuite(): Promise<void> {
  const key = await generateTokenKey();
  const signer = BlindSigner.fromPkcs8(key.pkcs8);
  const privateKey = createPrivateKey({ key: Buffer.from(key.pkcs8), format: "der", type: "pkcs8" });
  const publicKey = createPublicKey(privateKey);
  const challenge = TokenChallenge.crossOrigin("issuer.example").encode();
  const privateOp = (m: Buffer) => privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, m);

  // Inputs below n: blinded messages from real blinding.
  const inputs = await beginIssuanceBatch({ challenge, tokenKeys: Array(64).fill(key.spki) });
  const blinded = inputs.map((x) => x.request.blindedMsg);
  const raw = blinded.map((b) => Buffer.from(b));
  let i = 0;

  const sign = await compare(
    () => signer.sign(blinded[i++ % blinded.length]!),
    () => privateOp(raw[i++ % raw.length]!),
  );
  report({
    suite: SUITE,
    name: "issuer blind signatures",
    value: sign.candidate,
    unit: "sig/s",
    baseline: { name: "raw RSA-2048 private op (node:crypto)", value: sign.baseline, unit: "op/s" },
    ratio: sign.ratio,
    spread: sign.spread,
    target: ">= 0.8x",
  });

  // Site verification, both backends, each beside raw crypto.verify.
  const responses = inputs.map(({ request }) => new TokenResponse(signer.sign(request.blindedMsg)));
  const tokens = (
    await finishIssuanceBatch(
      inputs.map((x) => x.pending),
      responses,
    )
  ).map((t) => t!.encode());
  const pss = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 };
  const rawVerify = () => {
    const t = tokens[i++ % tokens.length]!;
    const input = t.subarray(0, TOKEN_AUTHENTICATOR_INPUT_LENGTH);
    if (!verify("sha384", input, pss, t.subarray(TOKEN_AUTHENTICATOR_INPUT_LENGTH))) {
      throw new Error("bench: token does not verify");
    }
  };
  for (const [backend, make, target] of [
    ["OpenSSL, createNodeTokenVerifier", createNodeTokenVerifier, ">= 0.7x"],
    ["WebCrypto, createTokenVerifier", createTokenVerifier, undefined],
  ] as const) {
    const verifier = await make([{ spki: key.spki, meta: 18 }]);
    const r = await compare(() => verifier.verify(tokens[i++ % tokens.length]!, { challenge }), rawVerify);
    report({
      suite: SUITE,
      name: `site token verifications (${backend})`,
      value: r.candidate,
      unit: "tokens/s",
      baseline: { name: "raw crypto.verify RSA-PSS", value: r.baseline, unit: "op/s" },
      ratio: r.ratio,
      spread: r.spread,
      ...(target === undefined ? {} : { target }),
    });
  }

  // The client's primitives: r^e mod n, the inverse of a blind, one WebCrypto RSA-PSS verify.
  const pk = parseRsaSpki(key.spki);
  const webKey = await crypto.subtle.importKey(
    "spki",
    toRsaEncryptionSpki(key.spki),
    { name: "RSA-PSS", hash: "SHA-384" },
    false,
    ["verify"],
  );
  const blinds = Array.from({ length: 64 }, () => randomIntegerBelow(pk.n));
  const subtleVerify = async () => {
    const t = tokens[i++ % tokens.length]!;
    const ok = await crypto.subtle.verify(
      { name: "RSA-PSS", saltLength: 48 },
      webKey,
      t.subarray(TOKEN_AUTHENTICATOR_INPUT_LENGTH) as Uint8Array<ArrayBuffer>,
      t.subarray(0, TOKEN_AUTHENTICATOR_INPUT_LENGTH) as Uint8Array<ArrayBuffer>,
    );
    if (!ok) throw new Error("bench: token does not verify");
  };
  const primitives = async (tokensPerInverse: number, count: number) => {
    modInverse(blinds[i++ % blinds.length]!, pk.n);
    const work: Promise<void>[] = [];
    for (let k = 0; k < count; k++) {
      modPow(blinds[i++ % blinds.length]!, pk.e, pk.n);
      work.push(subtleVerify());
    }
    await Promise.all(work);
    return tokensPerInverse;
  };

  // One token at a time: beginIssuance + finishIssuance (of a precomputed answer, so only client work is timed).
  const single = await compare(
    async () => {
      const k = i++ % inputs.length;
      await beginIssuance({ challenge, tokenKey: key.spki });
      await finishIssuance(inputs[k]!.pending, responses[k]!);
    },
    () => primitives(1, 1),
  );
  report({
    suite: SUITE,
    name: "client blind + finalize, one token at a time (browser-safe code in Node)",
    value: single.candidate,
    unit: "tokens/s",
    baseline: {
      name: "1 modPow(r, e) + 1 modInverse + 1 subtle.verify",
      value: single.baseline,
      unit: "set/s",
    },
    ratio: single.ratio,
    spread: single.spread,
  });

  // A batch of 20, as the wallet asks for: beginIssuanceBatch + finishIssuanceBatch.
  const batches: BegunToken[][] = [];
  for (let b = 0; b + WALLET_BATCH <= inputs.length; b += WALLET_BATCH)
    batches.push(inputs.slice(b, b + WALLET_BATCH));
  const batchResponses = batches.map((_, b) => responses.slice(b * WALLET_BATCH, (b + 1) * WALLET_BATCH));
  const keys = Array(WALLET_BATCH).fill(key.spki);
  const batch = await compare(
    async () => {
      const b = i++ % batches.length;
      await beginIssuanceBatch({ challenge, tokenKeys: keys });
      await finishIssuanceBatch(
        batches[b]!.map((x) => x.pending),
        batchResponses[b]!,
      );
    },
    () => primitives(WALLET_BATCH, WALLET_BATCH),
    { roundMs: 600 },
  );
  report({
    suite: SUITE,
    name: `client blind + finalize, batch of ${WALLET_BATCH} (browser-safe code in Node)`,
    value: batch.candidate * WALLET_BATCH,
    unit: "tokens/s",
    baseline: {
      name: `${WALLET_BATCH} modPow(r, e) + 1 modInverse + ${WALLET_BATCH} subtle.verify`,
      value: batch.baseline * WALLET_BATCH,
      unit: "tokens/s",
    },
    ratio: batch.ratio,
    spread: batch.spread,
    target: ">= 1,000 tokens/s",
  });

  // A batch of 100 blind signatures.
  const hundred = Array.from({ length: 100 }, (_, k) => blinded[k % blinded.length]!);
  const hundredRaw = hundred.map((b) => Buffer.from(b));
  const signBatch = await pairedDurations(7, async () => {
    let t = performance.now();
    for (const b of hundred) signer.sign(b);
    const candidate = performance.now() - t;
    t = performance.now();
    for (const b of hundredRaw) privateOp(b);
    return { candidate, baseline: performance.now() - t };
  });
  report({
    suite: SUITE,
    name: "sign a batch of 100 token requests",
    value: signBatch.candidate,
    unit: "ms",
    baseline: { name: "100 raw RSA-2048 private ops", value: signBatch.baseline, unit: "ms" },
    ratio: signBatch.ratio,
    spread: signBatch.spread,
  });
}
