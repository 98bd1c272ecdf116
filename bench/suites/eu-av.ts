import "../../tests/support/reflect-metadata.js";
import { performance } from "node:perf_hooks";
import { type EuAvProvider, startEuAvProvider } from "../../providers/eu-av/local.js";
import { redirectSessionTranscript } from "../../providers/eu-av/session-transcript.js";
import { parseTrustedIacas } from "../../providers/eu-av/trust.js";
import { verifyAgePresentation } from "../../providers/eu-av/verify-presentation.js";
import {
  answerRequest,
  createDeviceKey,
  createDocumentSigner,
  createTestIaca,
  issueAttestation,
  presentAttestation,
} from "../../tests/support/eu-av-holder.js";
import { compare, median, percentile, report } from "../harness.js";

/*
 * The EU AV provider's costs, each beside a baseline measured in the same run:
 * - DeviceResponse verification (parse, disclosure policy, chain to the IACA, MSO signature, digests, device
 *   signature over the session transcript) vs two raw ES256 verifications (WebCrypto): the issuer and device
 *   signatures are the floor of any mdoc verifier;
 * - the provider's grant latency end to end over HTTP on localhost: the holder's direct_post answer, then the
 *   page's poll that returns the signed grant (the holder's own signing is done before the clock starts).
 */

const SUITE = "eu-av";

export default async function euAvSuite(): Promise<void> {
  process.env.BLINDGATE_QUIET = "1";
  const iaca = await createTestIaca();
  const signer = await createDocumentSigner(iaca);
  const device = await createDeviceKey();
  const claims = { age_over_13: true, age_over_16: true, age_over_18: true, age_over_21: false };
  const mdoc = await issueAttestation(signer, { device, claims });
  const trust = parseTrustedIacas([iaca.pem]);
  const transcript = await redirectSessionTranscript({
    clientId: "redirect_uri:https://verify.example/response",
    nonce: "bench-nonce-0123456789",
    responseUri: "https://verify.example/response",
  });
  const response = await presentAttestation(mdoc, device, transcript);
  const options = { trust, sessionTranscript: transcript, thresholds: [13, 15, 16, 18, 21], now: new Date() };
  if ((await verifyAgePresentation(response, options)).ageOver !== 18) throw new Error("bench setup");

  // Baseline: two raw ES256 verifications of a 300-byte message.
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const message = crypto.getRandomValues(new Uint8Array(300));
  const ecdsa = { name: "ECDSA", hash: "SHA-256" };
  const signature = await crypto.subtle.sign(ecdsa, pair.privateKey, message);
  const twoRaw = async () => {
    await crypto.subtle.verify(ecdsa, pair.publicKey, signature, message);
    await crypto.subtle.verify(ecdsa, pair.publicKey, signature, message);
  };

  const verify = await compare(() => verifyAgePresentation(response, options), twoRaw);
  report({
    suite: SUITE,
    name: "DeviceResponse verifications",
    value: verify.candidate,
    unit: "verif/s",
    baseline: { name: "2 raw ES256 verifications (WebCrypto)", value: verify.baseline, unit: "pairs/s" },
    ratio: verify.ratio,
  });

  // Grant latency over HTTP.
  const provider: EuAvProvider = await startEuAvProvider({
    gatewayIssuer: "gateway.example",
    walletOrigin: "https://wallet.example",
    trustedIacas: [iaca.pem],
  });
  try {
    const latencies: number[] = [];
    const deadline = performance.now() + 4000;
    while (performance.now() < deadline || latencies.length < 20) {
      const state = crypto.randomUUID().replace(/-/g, "");
      const html = await (
        await fetch(`${provider.localUrl}/verify?wallet_origin=https%3A%2F%2Fwallet.example&state=${state}`)
      ).text();
      const attr = (n: string) =>
        (new RegExp(`data-${n}="([^"]*)"`).exec(html)?.[1] ?? "").replace(/&#38;/g, "&");
      const uri = (/<textarea id="eu-av-request"[^>]*>([^<]*)</.exec(html)?.[1] ?? "").replace(/&#38;/g, "&");
      let started = 0;
      const answer = await answerRequest(uri, mdoc, device, {
        fetch: (url, init) => {
          started = performance.now();
          return fetch(url, init);
        },
      });
      const result = await fetch(`${provider.localUrl}/result`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id: attr("id"), secret: attr("secret") }),
      });
      const body = (await result.json()) as { message?: { type?: string } };
      latencies.push(performance.now() - started);
      if (answer.status !== 200 || body.message?.type !== "blindgate:grant") throw new Error("no grant");
    }
    report({
      suite: SUITE,
      name: "grant latency over HTTP (direct_post + poll), median",
      value: median(latencies),
      unit: "ms",
    });
    report({
      suite: SUITE,
      name: "grant latency over HTTP (direct_post + poll), p95",
      value: percentile(latencies, 95),
      unit: "ms",
    });
  } finally {
    await provider.close();
  }
}
