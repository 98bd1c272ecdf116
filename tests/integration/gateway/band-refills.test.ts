import {
  beginCredential,
  beginIssuanceBatch,
  beginRefill,
  creditBalance,
  creditParams,
  DIRECTORY_PATH,
  decodeBatchResponse,
  encodeBatchRequest,
  finishCredential,
  finishIssuanceBatch,
  finishRefill,
  fromBase64Url,
  type IssuerDirectory,
  parseDirectory,
  TokenChallenge,
  TokenResponse,
  toBase64Url,
} from "@blindgate/sdk/protocol/internal";
import { exportGrantJwks } from "@blindgate/sdk/provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { BAND_POOL_TARGET, MAX_REFILL, planBandRefill } from "../../../wallet/src/pool.js";
import type { StoredToken } from "../../../wallet/src/store.js";
import { makeGrant, registerProvider, type TestProvider } from "./client.js";

/*
 * The wallet's band refills against the local gateway: the band keys the wallet's planner (wallet/src/pool.ts)
 * picks for a band credential are exactly ones the gateway signs under that credential, the tokens it buys prove
 * the band at /v1/check, and a threshold credential's plan never holds a band key (the gateway would refuse it).
 */

let gateway: LocalGateway;
let provider: TestProvider;
let siteKey: string;
const clock = 1_800_000_000;

beforeAll(async () => {
  gateway = await startLocalGateway({ wallet: false, now: () => clock });
  provider = await registerProvider(gateway, "band-refill-adult");
  await gateway.addProvider({
    id: "band-refill-teen",
    name: "Band refills",
    verifyUrl: "http://127.0.0.1:9/band-refill",
    jwks: await exportGrantJwks(provider.key),
    bands: ["13-16", "16-18", "13-18"],
  });
  siteKey = (await gateway.addSite("band-refill-site")).apiKey;
});
afterAll(async () => gateway?.close());

const params = () => creditParams(gateway.issuerName);

async function readDirectory(): Promise<IssuerDirectory> {
  return parseDirectory(await (await fetch(`${gateway.url}${DIRECTORY_PATH}`)).json());
}

/** The directory's issuing band token keys, as the wallet's planner sees them. */
async function bandKeys(now: number) {
  return (await readDirectory()).tokenKeys
    .filter((k) => k.ageBelow !== undefined && k.ageOver !== undefined && (k.notBefore ?? 0) <= now)
    .map((k) => ({
      threshold: k.ageOver as number,
      below: k.ageBelow as number,
      notAfter: k.notAfter ?? Number.MAX_SAFE_INTEGER,
      tokenKey: k.tokenKey,
    }));
}

async function post(path: string, body: unknown, grant?: string) {
  const res = await fetch(`${gateway.url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(grant === undefined ? {} : { authorization: `Bearer ${grant}` }),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A credential bought with `grant` (no first batch), with what the wallet keeps of it. */
async function buyCredential(grant: string) {
  const { request, state } = beginCredential(params());
  const answer = await post("/v1/credential", { credit: toBase64Url(request) }, grant);
  expect(answer.status).toBe(200);
  const { creditKeyId, credit, ageOver, ageBelow } = answer.json as {
    creditKeyId: string;
    credit: string;
    ageOver: number;
    ageBelow?: number;
  };
  const dir = await readDirectory();
  let key: (typeof dir.creditKeys & object)[number] | undefined;
  for (const k of dir.creditKeys ?? []) {
    const hex = Buffer.from(await crypto.subtle.digest("SHA-256", k.actKey.slice())).toString("hex");
    if (hex === creditKeyId) key = k;
  }
  if (key === undefined) throw new Error("credit key not in the directory");
  const credential = finishCredential(params(), key.actKey, state, fromBase64Url(credit));
  return {
    credential,
    creditKeyId,
    actKey: key.actKey,
    ageOver,
    ...(ageBelow === undefined ? {} : { ageBelow }),
    notAfter: key.notAfter,
    credits: creditBalance(params(), credential),
  };
}

describe("band refills (wallet planner against the gateway)", () => {
  it("a band credential refills band tokens the gateway signs, and they prove the band", async () => {
    const now = gateway.deps.now();
    const day = Math.floor(now / 86_400) * 86_400;
    // the grant's below_until: late enough for the band credit key of [15, 16) (so the credential is a band one)
    const dir = await readDirectory();
    const bandCredit = (dir.creditKeys ?? []).filter(
      (k) => k.ageBelow !== undefined && k.ageOver <= 15 && k.ageBelow >= 16 && k.notBefore <= now,
    );
    expect(bandCredit.length).toBeGreaterThan(0);
    const latest = Math.max(...bandCredit.map((k) => k.notAfter));
    const belowUntil = Math.ceil(latest / 86_400) * 86_400;
    expect(belowUntil).toBeGreaterThan(day);
    const grant = await makeGrant(
      gateway,
      { id: "band-refill-teen", key: provider.key },
      { age_over: 15, age_below: 16, below_until: belowUntil, max_tokens: 20 },
    );
    const cred = await buyCredential(grant);
    expect(cred.ageBelow).toBeDefined();
    expect(cred.credits).toBeGreaterThan(0);

    // the wallet holds no band token: its planner asks for every band the credential buys, within its credits
    const keys = await bandKeys(now);
    const plan = planBandRefill({ tokens: [], credential: cred, bandKeys: keys, now, budget: cred.credits });
    expect(plan.length).toBeGreaterThan(0);
    expect(plan.length).toBeLessThanOrEqual(Math.min(cred.credits, MAX_REFILL));
    for (const k of plan) {
      expect(k.threshold).toBeLessThanOrEqual(15);
      expect(k.below).toBeGreaterThanOrEqual(16);
      expect(k.notAfter).toBeLessThanOrEqual(cred.notAfter);
    }
    // a band key dying after the credential's key is never planned, though the directory lists it
    const outliving = keys.filter((k) => k.threshold <= 15 && k.below >= 16 && k.notAfter > cred.notAfter);
    for (const k of outliving) expect(plan).not.toContain(k);

    const challenge = TokenChallenge.crossOrigin(gateway.issuerName).encode();
    const begun = await beginIssuanceBatch({ challenge, tokenKeys: plan.map((k) => k.tokenKey) });
    const { proof, state } = beginRefill(params(), cred.credential, plan.length);
    const answer = await post("/v1/refill", {
      creditKeyId: cred.creditKeyId,
      proof: toBase64Url(proof),
      tokens: toBase64Url(
        encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() }))),
      ),
    });
    expect(answer.status).toBe(200);
    const { tokens, refund } = answer.json as { tokens: string; refund: string };
    const items = decodeBatchResponse(fromBase64Url(tokens));
    const signed = await finishIssuanceBatch(
      begun.map((b) => b.pending),
      items.map((item) => (item === null || item === undefined ? null : TokenResponse.decode(item.response))),
    );
    expect(signed.every((t) => t !== null)).toBe(true);
    const change = finishRefill(params(), cred.actKey, proof, state, fromBase64Url(refund));
    expect(creditBalance(params(), change)).toBe(cred.credits - plan.length);

    // each token proves its band at a site asking exactly that band
    for (const [i, k] of plan.entries()) {
      const res = await fetch(`${gateway.url}/v1/check`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${siteKey}` },
        body: JSON.stringify({
          token: toBase64Url((signed[i] as NonNullable<(typeof signed)[number]>).encode()),
          minAge: k.threshold,
          ageBelow: k.below,
        }),
      });
      const json = (await res.json()) as { valid?: boolean; ageOver?: number; ageBelow?: number };
      expect(json).toMatchObject({ valid: true, ageOver: k.threshold, ageBelow: k.below });
    }

    // with the pools full (the bought tokens held), the next moment buys nothing more
    const held: StoredToken[] = plan.map((k, i) => ({
      threshold: k.threshold,
      below: k.below,
      token: `t${i}`,
      keyId: `k${i}`,
      notAfter: k.notAfter,
    }));
    const full = planBandRefill({
      tokens: [...held, ...held],
      credential: cred,
      bandKeys: keys,
      now,
      budget: MAX_REFILL,
    });
    // every band bought is held BAND_POOL_TARGET times or more: none of them is planned again
    for (const k of plan)
      expect(
        held.filter((t) => t.threshold === k.threshold && t.below === k.below).length * 2,
      ).toBeGreaterThanOrEqual(BAND_POOL_TARGET);
    for (const k of full) expect(plan).not.toContain(k);
  });

  it("a threshold credential never plans a band token (the gateway refuses one: ERR_CREDIT_BAND)", async () => {
    const now = gateway.deps.now();
    const cred = await buyCredential(await makeGrant(gateway, provider, { age_over: 16, max_tokens: 20 }));
    expect(cred.ageBelow).toBeUndefined();
    const keys = await bandKeys(now);
    expect(keys.length).toBeGreaterThan(0);
    expect(planBandRefill({ tokens: [], credential: cred, bandKeys: keys, now, budget: MAX_REFILL })).toEqual(
      [],
    );

    // and had it asked: refused before anything is spent
    const key = keys.find((k) => k.threshold <= 16) as (typeof keys)[number];
    const challenge = TokenChallenge.crossOrigin(gateway.issuerName).encode();
    const begun = await beginIssuanceBatch({ challenge, tokenKeys: [key.tokenKey] });
    const refused = await post("/v1/refill", {
      creditKeyId: cred.creditKeyId,
      proof: toBase64Url(beginRefill(params(), cred.credential, 1).proof),
      tokens: toBase64Url(
        encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() }))),
      ),
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect((refused.json as { error?: { code?: string } }).error?.code).toBe("ERR_CREDIT_BAND");
  });
});
