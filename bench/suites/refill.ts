import { constants, createPrivateKey, generateKeyPairSync, privateDecrypt, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import {
  beginCredential,
  beginIssuanceBatch,
  beginRefill,
  credentialAnswerSchema,
  creditParams,
  decodeBatchResponse,
  encodeBatchRequest,
  finishCredential,
  finishIssuanceBatch,
  finishRefill,
  fromBase64Url,
  GATEWAY_PATHS,
  parseDirectory,
  refillAnswerSchema,
  TokenChallenge,
  TokenResponse,
  toBase64Url,
} from "@blindgate/sdk/protocol/internal";
import { exportGrantJwks, generateGrantKey } from "@blindgate/sdk/provider";
import { chromium } from "playwright-core";
import { startDemoProvider } from "../../demo/provider/server.js";
import { startDemoSite } from "../../demo/site/server.js";
import { startLocalGateway } from "../../functions/local/gateway.js";
import { makeGrant, registerProvider } from "../../tests/integration/gateway/client.js";
import { median, pairedDurations, percentile, report } from "../harness.js";

/*
 * Token supply with credit credentials (issue 9), end to end:
 * - a refill of 10 tokens over HTTP against the local gateway (client: 10 blinded TokenRequests, the ACT spend
 *   proof; gateway: spend verification, 10 blind signatures, the refund; client: the change credential and 10
 *   unblinded, verified tokens), beside 10 raw RSA-2048 private operations in alternating rounds of the same run;
 * - the wallet's proof latency with a full pool, in Chromium (gateway, demo provider and demo site on this machine):
 *   from the click on "Prove my age" to Confirm shown, plus from the click on Confirm to the room open; the one
 *   second Confirm waits armed (keyjacking) is the person's, not the wallet's, and is left out. Beside it, the same
 *   page opening a popup of the wallet's origin and loading the site's room again: the floor of any popup proof.
 */

const SUITE = "refill";
const REFILL = 10;

export default async function refillSuite(): Promise<void> {
  await refillOverHttp();
  await proofLatency();
}

async function refillOverHttp(): Promise<void> {
  const gateway = await startLocalGateway({ wallet: false, creditsPerGrant: 250 });
  try {
    const provider = await registerProvider(gateway, "bench-refill", 1e9);
    const params = creditParams(gateway.issuerName);
    const challenge = TokenChallenge.crossOrigin(gateway.issuerName).encode();
    const directory = parseDirectory(
      await (await fetch(`${gateway.localUrl}${GATEWAY_PATHS.directory}`)).json(),
    );
    const now = gateway.deps.now();
    const key = (t: number) =>
      directory.tokenKeys.find((k) => k.ageOver === t && (k.notBefore ?? 0) <= now)?.tokenKey as Uint8Array;
    const keys = [13, 18, 18, 18, 18, 18, 18, 18, 18, 21].map(key);

    // One credential of 250 credits per 25 refills.
    let credential: Uint8Array | undefined;
    let creditKey: Uint8Array | undefined;
    let creditKeyId = "";
    let left = 0;
    const newCredential = async () => {
      const grant = await makeGrant(gateway, provider, { max_tokens: 250, age_over: 21 });
      const { request, state } = beginCredential(params);
      const res = await fetch(`${gateway.localUrl}${GATEWAY_PATHS.credential}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${grant}` },
        body: JSON.stringify({ credit: toBase64Url(request) }),
      });
      const answer = credentialAnswerSchema.parse(await res.json());
      creditKeyId = answer.creditKeyId;
      creditKey = directory.creditKeys?.find((k) => k.ageOver === answer.ageOver)?.actKey;
      if (creditKey === undefined) throw new Error("bench: no credit key");
      credential = finishCredential(params, creditKey, state, fromBase64Url(answer.credit));
      left = answer.credits;
    };
    const refill = async () => {
      if (left < REFILL) await newCredential();
      const begun = await beginIssuanceBatch({ challenge, tokenKeys: keys });
      const { proof, state } = beginRefill(params, credential as Uint8Array, REFILL);
      const res = await fetch(`${gateway.localUrl}${GATEWAY_PATHS.refill}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          creditKeyId,
          proof: toBase64Url(proof),
          tokens: toBase64Url(
            encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() }))),
          ),
        }),
      });
      if (res.status !== 200) throw new Error(`bench: refill answered ${res.status}`);
      const answer = refillAnswerSchema.parse(await res.json());
      credential = finishRefill(params, creditKey as Uint8Array, proof, state, fromBase64Url(answer.refund));
      left -= REFILL;
      const items = decodeBatchResponse(fromBase64Url(answer.tokens));
      const tokens = await finishIssuanceBatch(
        begun.map((b) => b.pending),
        items.map((item) => (item === null ? null : TokenResponse.decode(item.response))),
      );
      if (tokens.some((t) => t === null)) throw new Error("bench: a refill token is missing");
    };

    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const raw = createPrivateKey(privateKey.export({ format: "pem", type: "pkcs8" }));
    const input = Buffer.concat([Buffer.from([0]), randomBytes(255)]);
    const timed = async (op: () => unknown, times: number) => {
      const start = performance.now();
      for (let i = 0; i < times; i++) await op();
      return (performance.now() - start) / times;
    };
    const r = await pairedDurations(6, async () => ({
      candidate: await timed(refill, 3),
      baseline: await timed(() => {
        for (let i = 0; i < REFILL; i++)
          privateDecrypt({ key: raw, padding: constants.RSA_NO_PADDING }, input);
      }, 3),
    }));
    report({
      suite: SUITE,
      name: `refill of ${REFILL} tokens end to end over HTTP (client + gateway)`,
      value: r.candidate,
      unit: "ms",
      baseline: { name: `${REFILL} raw RSA-2048 private ops`, value: r.baseline, unit: "ms" },
      ratio: r.ratio,
      spread: r.spread,
      note: "client: 10 blinds + ACT spend proof + refund + 10 finalizations; gateway: spend verify + 10 signs + refund",
    });
  } finally {
    await gateway.close();
  }
}

async function proofLatency(): Promise<void> {
  const gateway = await startLocalGateway({ publicHost: "gateway.localhost" });
  const grantKey = await generateGrantKey({ kid: "bench-1" });
  const provider = await startDemoProvider({
    providerId: "demo-provider",
    issuerName: gateway.issuerName,
    walletOrigins: [new URL(gateway.url).origin],
    grantKey,
    publicHost: "provider.localhost",
  });
  await gateway.addProvider({
    id: "demo-provider",
    name: "Demo provider",
    verifyUrl: provider.verifyUrl,
    jwks: await exportGrantJwks(grantKey),
    maxThreshold: 21,
  });
  const site = await startDemoSite({
    gatewayUrl: gateway.localUrl,
    issuerName: gateway.issuerName,
    siteKey: (await gateway.addSite("bench site")).apiKey,
    walletUrl: gateway.walletUrl,
    publicHost: "site.localhost",
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP *.localhost 127.0.0.1"],
  });
  try {
    const context = await browser.newContext({ locale: "en-GB" });
    await context.clock.install();
    // The person checks their age once from the wallet's own page; the first-use wait is then passed.
    const home = await context.newPage();
    await home.goto(gateway.walletUrl);
    await home.click("#wallet-get-tokens");
    const providerPromise = context.waitForEvent("page");
    await home.click("[data-provider-id]");
    const providerPage = await providerPromise;
    const birth = new Date(Date.now() - 30 * 365.25 * 86_400_000).toISOString().slice(0, 10);
    await providerPage.fill("#birth-date", birth);
    await providerPage.click("#provider-submit");
    await home.waitForSelector('#wallet-panel[data-view="home"] .success', { timeout: 60_000 });
    await home.close();
    await context.clock.fastForward(120_000);

    const page = await context.newPage();
    const opening: number[] = [];
    const confirming: number[] = [];
    const proof = async (): Promise<number> => {
      await context.clearCookies();
      await page.goto(`${site.url}/adult`);
      const t0 = performance.now();
      const walletPromise = context.waitForEvent("page");
      await page.click("[data-prove]");
      const wallet = await walletPromise;
      await wallet.waitForSelector('#wallet-panel[data-view="confirm"]', { timeout: 60_000 });
      const t1 = performance.now();
      await wallet.waitForSelector("#wallet-confirm:not([disabled])");
      const t2 = performance.now();
      await wallet.click("#wallet-confirm");
      await page.waitForSelector("#learned", { timeout: 60_000 });
      const t3 = performance.now();
      // the after-proof refill (1-4 s later, off the critical path): let it run, then the window closes
      await context.clock.fastForward(5000);
      await wallet.waitForEvent("close", { timeout: 30_000 }).catch(() => undefined);
      opening.push(t1 - t0);
      confirming.push(t3 - t2);
      return t1 - t0 + (t3 - t2);
    };
    const floor = async (): Promise<number> => {
      await page.goto(`${site.url}/adult`);
      const t0 = performance.now();
      const popupPromise = context.waitForEvent("page");
      await page.evaluate(
        (url) => void window.open(url, "bench-floor", "popup"),
        `${gateway.url}/wallet/favicon.svg`,
      );
      const popup = await popupPromise;
      await popup.waitForLoadState();
      await page.goto(`${site.url}/adult`);
      const t1 = performance.now();
      await popup.close();
      return t1 - t0;
    };
    const samples: number[] = [];
    const r = await pairedDurations(8, async () => {
      const candidate = await proof();
      samples.push(candidate);
      return { candidate, baseline: await floor() };
    });
    report({
      suite: SUITE,
      name: "wallet proof with a full pool, Chromium (click to Confirm + Confirm to room open)",
      value: r.candidate,
      unit: "ms",
      baseline: { name: "popup of the wallet's origin + room reload", value: r.baseline, unit: "ms" },
      ratio: r.ratio,
      spread: r.spread,
      target: "<= 800 ms",
      note: `p90 ${percentile(samples, 90).toFixed(0)} ms, median of all ${median(samples).toFixed(0)} ms (click to Confirm shown ${median(opening).toFixed(0)} ms, Confirm to room ${median(confirming).toFixed(0)} ms); the 1 s arming of Confirm left out; no request to the provider or the gateway from the wallet`,
    });
  } finally {
    await browser.close();
    await site.close();
    await provider.close();
    await gateway.close();
  }
}
