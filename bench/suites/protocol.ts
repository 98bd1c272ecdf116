import { constants, createPrivateKey, createPublicKey, privateDecrypt, verify } from "node:crypto";
import { performance } from "node:perf_hooks";
import { createNodeTokenVerifier } from "@blindgate/sdk/node";
import {
  beginIssuance,
  finishIssuance,
  TOKEN_AUTHENTICATOR_INPUT_LENGTH,
  TokenChallenge,
  TokenResponse,
} from "@blindgate/sdk/protocol";
import { BlindSigner, generateTokenKey } from "../../functions/issuer/index.js";
import { compare, median, rate, report } from "../harness.js";

/*
 * The protocol's hot paths, each beside a baseline measured in the same run:
 * - the issuer's BlindSign (RSASP1 + the RSAVP1 fault check) vs a raw RSA-2048 private operation;
 * - a site's token verification (Node entry point) vs a raw crypto.verify RSA-PSS;
 * - the client's blind + finalize (browser-safe BigInt/WebCrypto code, run in Node);
 * - a batch of 100 blind signatures vs 100 raw private operations.
 */

const SUITE = "protocol";

export default async function protocolSuite(): Promise<void> {
  const key = await generateTokenKey();
  const signer = BlindSigner.fromPkcs8(key.pkcs8);
  const privateKey = createPrivateKey({ key: Buffer.from(key.pkcs8), format: "der", type: "pkcs8" });
  const publicKey = createPublicKey(privateKey);
  const challenge = TokenChallenge.crossOrigin("issuer.example").encode();

  // Inputs below n: blinded messages from real blinding.
  const inputs = await Promise.all(
    Array.from({ length: 64 }, () => beginIssuance({ challenge, tokenKey: key.spki })),
  );
  const blinded = inputs.map((i) => i.request.blindedMsg);
  const raw = blinded.map((b) => Buffer.from(b));
  let i = 0;

  const sign = await compare(
    () => signer.sign(blinded[i++ % blinded.length] as Uint8Array),
    () =>
      privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, raw[i++ % raw.length] as Buffer),
  );
  report({
    suite: SUITE,
    name: "issuer blind signatures",
    value: sign.candidate,
    unit: "sig/s",
    baseline: { name: "raw RSA-2048 private op (node:crypto)", value: sign.baseline, unit: "op/s" },
    ratio: sign.ratio,
    target: ">= 0.8x",
  });

  // Tokens to verify.
  const tokens = await Promise.all(
    inputs.map(async ({ request, pending }) =>
      (await finishIssuance(pending, new TokenResponse(signer.sign(request.blindedMsg)))).encode(),
    ),
  );
  const verifier = await createNodeTokenVerifier([{ spki: key.spki, meta: 18 }]);
  const pss = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 };
  const verification = await compare(
    () => verifier.verify(tokens[i++ % tokens.length] as Uint8Array, { challenge }),
    () => {
      const t = tokens[i++ % tokens.length] as Uint8Array;
      if (
        !verify(
          "sha384",
          t.subarray(0, TOKEN_AUTHENTICATOR_INPUT_LENGTH),
          pss,
          t.subarray(TOKEN_AUTHENTICATOR_INPUT_LENGTH),
        )
      ) {
        throw new Error("bench: token does not verify");
      }
    },
  );
  report({
    suite: SUITE,
    name: "site token verifications (Node entry)",
    value: verification.candidate,
    unit: "tokens/s",
    baseline: { name: "raw crypto.verify RSA-PSS", value: verification.baseline, unit: "op/s" },
    ratio: verification.ratio,
    target: ">= 0.7x",
  });

  // Client blind + finalize with the browser-safe code. The signature comes from a precomputed answer, so only
  // the client's work is timed: blind (EMSA-PSS, r^e, BigInt), then finalize (unblind, verify on WebCrypto).
  const responses = inputs.map(({ request }) => new TokenResponse(signer.sign(request.blindedMsg)));
  const client = await rate(
    async () => {
      const k = i++ % inputs.length;
      await beginIssuance({ challenge, tokenKey: key.spki });
      await finishIssuance((inputs[k] as (typeof inputs)[number]).pending, responses[k] as TokenResponse);
    },
    { minMs: 2000 },
  );
  const rawPrivate = await rate(
    () =>
      privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, raw[i++ % raw.length] as Buffer),
    { minMs: 1000 },
  );
  report({
    suite: SUITE,
    name: "client blind + finalize (browser-safe code in Node)",
    value: client.perSecond,
    unit: "tokens/s",
    baseline: { name: "raw RSA-2048 private op", value: rawPrivate.perSecond, unit: "op/s" },
    ratio: client.perSecond / rawPrivate.perSecond,
    target: ">= 500 tokens/s",
  });

  // A batch of 100.
  const batch = Array.from({ length: 100 }, (_, k) => blinded[k % blinded.length] as Uint8Array);
  const batchRaw = batch.map((b) => Buffer.from(b));
  const signMs: number[] = [];
  const rawMs: number[] = [];
  for (let round = 0; round < 7; round++) {
    let t = performance.now();
    for (const b of batch) signer.sign(b);
    signMs.push(performance.now() - t);
    t = performance.now();
    for (const b of batchRaw) privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, b);
    rawMs.push(performance.now() - t);
  }
  const s = median(signMs);
  const r = median(rawMs);
  report({
    suite: SUITE,
    name: "sign a batch of 100 token requests",
    value: s,
    unit: "ms",
    baseline: { name: "100 raw RSA-2048 private ops", value: r, unit: "ms" },
    ratio: r / s,
  });
}
