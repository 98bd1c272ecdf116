import {
  beginCredential,
  beginIssuance,
  beginRefill,
  creditParams,
  DIRECTORY_PATH,
  decodeSpendProof,
  encodeBatchRequest,
  encodeSpendProof,
  finishCredential,
  fromBase64Url,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  parseDirectory,
  TokenChallenge,
  toBase64Url,
} from "@blindgate/sdk/protocol/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { auditGateway } from "../../../tools/audit/audit.js";
import { currentKey, issue, makeGrant, registerProvider, type TestProvider } from "./client.js";

/*
 * A credential is bought once per grant, ever, and a retry of that purchase (its answer was lost) is the purchase
 * itself: the same bytes, on the credit key first used, counted once in the quota and in the transparency report.
 * The report's per-key "issued" counts every token signed under a key, whichever route paid for it; an auditor of
 * an honest gateway whose wallets retry finds nothing. A refill whose nullifier is spent is answered from the
 * nullifier's record before its proof is looked at.
 */

let gateway: LocalGateway;
let provider: TestProvider;
let clock = Date.parse("2031-03-10T09:00:00Z") / 1000;
const params = () => creditParams(gateway.issuerName);

beforeAll(async () => {
  gateway = await startLocalGateway({
    wallet: false,
    now: () => clock,
    thresholds: [13, 18],
    reportFlushMs: 0,
  });
  provider = await registerProvider(gateway, "prov-retry", 100);
  await fetch(`${gateway.url}/v1/report?day=2031-03-10`); // creates and announces the report key: reports start today
}, 60_000);
afterAll(async () => gateway?.close());

async function postRaw(path: string, body: unknown, grant?: string, to: LocalGateway = gateway) {
  const res = await fetch(`${to.url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(grant === undefined ? {} : { authorization: `Bearer ${grant}` }),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

async function firstBatch(n: number): Promise<string> {
  const challenge = TokenChallenge.crossOrigin(gateway.issuerName).encode();
  const tokenKey = await currentKey(gateway, 18);
  const begun = await Promise.all(Array.from({ length: n }, () => beginIssuance({ challenge, tokenKey })));
  return toBase64Url(encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() }))));
}

/** The day's counters once every count held is sent (a request sends what its container holds: flush 0 ms). */
async function counters(day: string): Promise<Record<string, number>> {
  expect((await fetch(`${gateway.url}/v1/providers`)).status).toBe(200);
  return gateway.stores.reports.counters(day);
}

const issuedTotal = (c: Record<string, number>) =>
  Object.entries(c)
    .filter(([name]) => name.startsWith("issued|"))
    .reduce((sum, [, n]) => sum + n, 0);

describe("credential retries", () => {
  let spent:
    | { refill: { creditKeyId: string; proof: string; tokens: string }; proof: Uint8Array; cred: Uint8Array }
    | undefined;

  it("the same grant and body three times: one credential, byte for byte, counted once", async () => {
    const before = await counters("2031-03-10");
    const grant = await makeGrant(gateway, provider, { max_tokens: 61 });
    const body = { credit: toBase64Url(beginCredential(params()).request), tokens: await firstBatch(1) };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await postRaw("/v1/credential", body, grant));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers[1]!.text).toBe(answers[0]!.text);
    expect(answers[2]!.text).toBe(answers[0]!.text);

    const after = await counters("2031-03-10");
    const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
    expect(delta("credentials")).toBe(1);
    expect(delta("grants|prov-retry")).toBe(1);
    expect(delta("tokens|prov-retry")).toBe(61); // 60 credits + 1 token, once
    expect(issuedTotal(after) - issuedTotal(before)).toBe(1); // the first batch's token, under its key
    expect(await gateway.stores.providers.usage("prov-retry", "2031-03")).toBe(61);

    // the same grant for another request is a replay, however often the first was retried
    const other = { credit: toBase64Url(beginCredential(params()).request) };
    const replay = await postRaw("/v1/credential", other, grant);
    expect(replay.status).toBe(401);
    expect(JSON.parse(replay.text).error.code).toBe("ERR_GRANT_REPLAYED");
  });

  it("the issue route likewise: a retried batch is the same bytes, counted once", async () => {
    const before = await counters("2031-03-10");
    const grant = await makeGrant(gateway, provider, { max_tokens: 3 });
    const key = await currentKey(gateway, 18);
    const first = await issue(gateway, grant, [key, key, key]);
    expect(first.status).toBe(200);
    const res = await fetch(`${gateway.url}/token-request`, {
      method: "POST",
      headers: { "content-type": GENERIC_BATCH_REQUEST_MEDIA_TYPE, authorization: `Bearer ${grant}` },
      body: Buffer.from(first.request),
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(first.body))).toBe(true);
    const after = await counters("2031-03-10");
    expect((after["grants|prov-retry"] ?? 0) - (before["grants|prov-retry"] ?? 0)).toBe(1);
    expect((after["tokens|prov-retry"] ?? 0) - (before["tokens|prov-retry"] ?? 0)).toBe(3);
    expect(issuedTotal(after) - issuedTotal(before)).toBe(3);
  });

  it("the report's per-key issued counts credential and refill tokens", async () => {
    const before = await counters("2031-03-10");
    const { request, state } = beginCredential(params());
    const grant = await makeGrant(gateway, provider, { max_tokens: 12 });
    const bought = await postRaw(
      "/v1/credential",
      { credit: toBase64Url(request), tokens: await firstBatch(2) },
      grant,
    );
    expect(bought.status).toBe(200);
    const answer = JSON.parse(bought.text) as { credit: string; creditKeyId: string };
    const dir = parseDirectory(await (await fetch(`${gateway.url}${DIRECTORY_PATH}`)).json());
    const actKey = dir.creditKeys!.find((k) => k.ageOver === 18 && k.notBefore <= clock)!.actKey;
    const cred = finishCredential(params(), actKey, state, fromBase64Url(answer.credit));
    const spend = beginRefill(params(), cred, 3);
    const refill = {
      creditKeyId: answer.creditKeyId,
      proof: toBase64Url(spend.proof),
      tokens: await firstBatch(3),
    };
    expect((await postRaw("/v1/refill", refill)).status).toBe(200);
    const after = await counters("2031-03-10");
    expect(issuedTotal(after) - issuedTotal(before)).toBe(5); // 2 with the credential, 3 from the refill
    expect((after.refills ?? 0) - (before.refills ?? 0)).toBe(1);

    spent = { refill, proof: spend.proof, cred };
  });

  it("a refill whose nullifier is spent is refused from the nullifier's record, before its proof is verified", async () => {
    if (spent === undefined) throw new Error("needs the refill above");
    const { refill, proof, cred } = spent;
    // Another request with this nullifier whose proof no longer verifies: refused as spent, from the record,
    // before its proof is verified (a proof that fails verification is ERR_CREDIT_PROOF when verified first).
    const decoded = decodeSpendProof(params(), proof);
    const broken = encodeSpendProof({ ...decoded, ctx: decoded.ctx + 1n });
    const replay = await postRaw("/v1/refill", { ...refill, proof: toBase64Url(broken) });
    expect(replay.status).toBe(409);
    expect(JSON.parse(replay.text).error.code).toBe("ERR_CREDIT_SPENT");
    // and a fresh nullifier with a broken proof is still verified, and refused as such
    const fresh = decodeSpendProof(params(), beginRefill(params(), cred, 3).proof);
    const bad = await postRaw("/v1/refill", {
      ...refill,
      proof: toBase64Url(encodeSpendProof({ ...fresh, k: fresh.k + 1n })),
    });
    expect(JSON.parse(bad.text).error.code).toBe("ERR_CREDIT_PROOF");
  });

  it("a retry after the credit key stopped issuing gets the first credential, not a second one", async () => {
    // a gateway of its own: its clock jumps to the end of the credit key's issuing window
    let now = Date.parse("2031-03-10T09:00:00Z") / 1000;
    const gw = await startLocalGateway({
      wallet: false,
      now: () => now,
      thresholds: [18],
      tablePrefix: "late",
    });
    try {
      const late = await registerProvider(gw, "prov-late");
      const dir = parseDirectory(await (await fetch(`${gw.url}${DIRECTORY_PATH}`)).json());
      const current = dir.creditKeys!.find((k) => k.ageOver === 18 && k.notBefore <= now)!;
      now = current.issueUntil - 30; // the grant is bought 30 s before its credit key stops issuing
      const grant = await makeGrant(gw, late, { max_tokens: 10 });
      const body = { credit: toBase64Url(beginCredential(params()).request) };
      const first = await postRaw("/v1/credential", body, grant, gw);
      expect(first.status).toBe(200);
      now = current.issueUntil + 31; // within the grant's life; past the key's issuing window and the key cache
      await gw.rotate();
      const retry = await postRaw("/v1/credential", body, grant, gw);
      expect(retry.status).toBe(200);
      expect(retry.text).toBe(first.text);
      expect(JSON.parse(retry.text).creditKeyId).toBe(JSON.parse(first.text).creditKeyId);
    } finally {
      await gw.close();
    }
  });

  it("an honest gateway whose wallets retry passes the audit (quotas, key use)", async () => {
    clock = Date.parse("2031-03-11T00:00:00Z") / 1000 + 600; // the day is over and sealed on first request
    const sealed = await fetch(`${gateway.url}/v1/report?day=2031-03-10`);
    expect(sealed.status).toBe(200);
    const result = await auditGateway(gateway.url, { now: clock });
    expect(result.findings).toEqual([]);
    expect(result.verdict).toBe("pass");
  });
});
