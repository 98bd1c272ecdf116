import {
  beginCredential,
  beginIssuance,
  beginRefill,
  creditBalance,
  creditParams,
  DIRECTORY_PATH,
  decodeBatchResponse,
  encodeBatchRequest,
  finishCredential,
  finishIssuance,
  finishRefill,
  fromBase64Url,
  parseDirectory,
  type Token,
  TokenChallenge,
  TokenResponse,
  toBase64Url,
} from "@blindgate/sdk/protocol/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { check, currentKey, makeGrant, registerProvider, type TestProvider } from "./client.js";

/*
 * Credit credentials over HTTP on the local gateway (dynalite): a grant buys a credential and a first batch; spend
 * proofs buy tokens of thresholds up to the credential's, with change; a nullifier is spent once (the same request
 * again is answered again, another is refused), even when two refills race; every refusal has its code and costs
 * nothing; a credential dies with its key.
 */

let gateway: LocalGateway;
let provider: TestProvider;
let siteKey: string;
let clock = 1_800_000_000;

beforeAll(async () => {
  gateway = await startLocalGateway({ wallet: false, now: () => clock });
  provider = await registerProvider(gateway, "credit-provider");
  siteKey = (await gateway.addSite("credit-site")).apiKey;
});
afterAll(async () => gateway?.close());

const params = () => creditParams(gateway.issuerName);

async function creditKey(id: string): Promise<Uint8Array> {
  const dir = parseDirectory(await (await fetch(`${gateway.url}${DIRECTORY_PATH}`)).json());
  for (const k of dir.creditKeys ?? []) {
    const hex = Buffer.from(await crypto.subtle.digest("SHA-256", k.actKey.slice())).toString("hex");
    if (hex === id) return k.actKey;
  }
  throw new Error("credit key not in the directory");
}

async function batchFor(thresholds: number[]) {
  const challenge = TokenChallenge.crossOrigin(gateway.issuerName).encode();
  const keys = await Promise.all(thresholds.map((t) => currentKey(gateway, t)));
  const begun = await Promise.all(keys.map((tokenKey) => beginIssuance({ challenge, tokenKey })));
  const request = encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() })));
  const finish = async (encoded: string): Promise<Token[]> =>
    Promise.all(
      decodeBatchResponse(fromBase64Url(encoded)).map((item, i) =>
        finishIssuance(begun[i]!.pending, TokenResponse.decode(item!.response)),
      ),
    );
  return { request: toBase64Url(request), finish };
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
  return {
    status: res.status,
    json: (await res.json()) as Record<string, unknown> & { error?: { code: string } },
  };
}

async function credential(ageOver = 18, firstBatch: number[] = []) {
  const { request, state } = beginCredential(params());
  const batch = firstBatch.length > 0 ? await batchFor(firstBatch) : undefined;
  const grant = await makeGrant(gateway, provider, { age_over: ageOver, max_tokens: 100 });
  const res = await post(
    "/v1/credential",
    { credit: toBase64Url(request), ...(batch ? { tokens: batch.request } : {}) },
    grant,
  );
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  const keyId = res.json.creditKeyId as string;
  const actKey = await creditKey(keyId);
  const cred = finishCredential(params(), actKey, state, fromBase64Url(res.json.credit as string));
  const tokens = batch ? await batch.finish(res.json.tokens as string) : [];
  return { cred, keyId, actKey, tokens, answer: res.json };
}

async function refillRequest(
  cred: Uint8Array,
  keyId: string,
  thresholds: number[],
  credits = thresholds.length,
) {
  const { proof, state } = beginRefill(params(), cred, credits);
  const batch = await batchFor(thresholds);
  return {
    body: { creditKeyId: keyId, proof: toBase64Url(proof), tokens: batch.request },
    proof,
    state,
    batch,
  };
}

describe("credit credentials", () => {
  it("a grant buys a credential of the grant's threshold and a first batch; the tokens pass a site", async () => {
    const { cred, answer, tokens } = await credential(18, [13, 18]);
    expect(answer.ageOver).toBe(18);
    expect(answer.credits).toBe(60);
    expect(creditBalance(params(), cred)).toBe(60);
    expect(tokens).toHaveLength(2);
    expect((await check(gateway, siteKey, tokens[1]!, 18)).json).toMatchObject({ valid: true, ageOver: 18 });
  });

  it("a refill buys tokens up to the credential's threshold, and the change buys again", async () => {
    const { cred, keyId, actKey } = await credential(18);
    const first = await refillRequest(cred, keyId, [13, 16, 18]);
    const res = await post("/v1/refill", first.body);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    const change = finishRefill(
      params(),
      actKey,
      first.proof,
      first.state,
      fromBase64Url(res.json.refund as string),
    );
    expect(creditBalance(params(), change)).toBe(57);
    const tokens = await first.batch.finish(res.json.tokens as string);
    for (const [i, t] of [13, 16, 18].entries()) {
      expect((await check(gateway, siteKey, tokens[i]!, t)).json).toMatchObject({ valid: true, ageOver: t });
    }
    const second = await refillRequest(change, keyId, [18]);
    const again = await post("/v1/refill", second.body);
    expect(again.status).toBe(200);
    expect(
      creditBalance(
        params(),
        finishRefill(
          params(),
          actKey,
          second.proof,
          second.state,
          fromBase64Url(again.json.refund as string),
        ),
      ),
    ).toBe(56);
  });

  it("answers the same refill again (a lost answer loses nothing), and refuses another with the same credential", async () => {
    const { cred, keyId, actKey } = await credential(18);
    const r = await refillRequest(cred, keyId, [18, 18]);
    const a = await post("/v1/refill", r.body);
    const b = await post("/v1/refill", r.body);
    expect(a.status).toBe(200);
    expect(b).toEqual(a);
    // the retried answer's change works
    const change = finishRefill(params(), actKey, r.proof, r.state, fromBase64Url(b.json.refund as string));
    expect(creditBalance(params(), change)).toBe(58);
    const other = await refillRequest(cred, keyId, [13]);
    const refused = await post("/v1/refill", other.body);
    expect(refused.status).toBe(409);
    expect(refused.json.error?.code).toBe("ERR_CREDIT_SPENT");
  });

  it("two refills racing on one credential: exactly one is served, the other is refused with a typed error", async () => {
    const { cred, keyId } = await credential(18);
    const racers = await Promise.all(Array.from({ length: 8 }, () => refillRequest(cred, keyId, [18])));
    const answers = await Promise.all(racers.map((r) => post("/v1/refill", r.body)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) {
      expect(a.status).toBe(409);
      expect(a.json.error?.code).toBe("ERR_CREDIT_SPENT");
    }
  });

  it("refuses above the credential's threshold, a wrong amount and a tampered proof, and none of them spends it", async () => {
    const { cred, keyId } = await credential(16);
    const high = await post("/v1/refill", (await refillRequest(cred, keyId, [18])).body);
    expect([high.status, high.json.error?.code]).toEqual([403, "ERR_CREDIT_THRESHOLD"]);
    const amount = await post("/v1/refill", (await refillRequest(cred, keyId, [13, 13], 3)).body);
    expect([amount.status, amount.json.error?.code]).toEqual([422, "ERR_CREDIT_AMOUNT"]);
    const r = await refillRequest(cred, keyId, [16]);
    const proof = fromBase64Url(r.body.proof);
    proof[proof.length - 5]! ^= 1;
    const tampered = await post("/v1/refill", { ...r.body, proof: toBase64Url(proof) });
    expect([tampered.status, tampered.json.error?.code]).toEqual([422, "ERR_CREDIT_PROOF"]);
    const garbage = await post("/v1/refill", { ...r.body, proof: "AAAA" });
    expect([garbage.status, garbage.json.error?.code]).toEqual([400, "ERR_CREDIT_MALFORMED"]);
    // the credential still buys: nothing above was spent
    expect((await post("/v1/refill", (await refillRequest(cred, keyId, [16])).body)).status).toBe(200);
  });

  it("a credential dies with its key", async () => {
    const { cred, keyId } = await credential(18);
    const saved = clock;
    clock += 91 * 86_400; // past the key's issue epoch (30 days) and its validity after it (60 days)
    try {
      await gateway.rotate();
      const r = await refillRequest(cred, keyId, [18]);
      const res = await post("/v1/refill", r.body);
      expect([res.status, res.json.error?.code]).toEqual([422, "ERR_CREDIT_KEY_UNKNOWN"]);
    } finally {
      clock = saved;
    }
  });
});
