import { GatewayClient, GatewayClientError } from "@blindgate/sdk/client";
import {
  beginIssuance,
  decodeBatchResponse,
  encodeBatchRequest,
  finishIssuance,
  TokenChallenge,
  TokenResponse,
} from "@blindgate/sdk/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { makeGrant, registerProvider, type TestProvider } from "../gateway/client.js";

/*
 * The SDK's gateway client against the real gateway (the local server runs the Lambda handlers on dynalite): every
 * answer it parses is the gateway's own, so the client and the routes cannot drift apart.
 */

let gateway: LocalGateway;
let provider: TestProvider;
let siteKey: string;
let client: GatewayClient;

beforeAll(async () => {
  gateway = await startLocalGateway({ wallet: false });
  provider = await registerProvider(gateway, "client-prov");
  siteKey = (await gateway.addSite("Client site")).apiKey;
  client = new GatewayClient({ url: gateway.localUrl });
});
afterAll(async () => {
  await gateway?.close();
});

/** Tokens of the current key of `threshold`, issued through the client. */
async function tokens(threshold: number, count: number): Promise<Uint8Array[]> {
  const { directory } = await client.directory();
  const now = gateway.deps.now();
  const key = directory.tokenKeys.find((k) => k.ageOver === threshold && (k.notBefore ?? 0) <= now);
  if (key === undefined) throw new Error(`no current key for ${threshold}`);
  const challenge = TokenChallenge.crossOrigin(gateway.issuerName).encode();
  const begun = await Promise.all(
    Array.from({ length: count }, () => beginIssuance({ challenge, tokenKey: key.tokenKey })),
  );
  const grant = await makeGrant(gateway, provider, { age_over: 18, max_tokens: count });
  const answer = await client.issue({
    grant,
    batch: encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() }))),
  });
  expect(answer.status).toBe(200);
  const items = decodeBatchResponse(answer.body);
  return Promise.all(
    items.map(async (item, i) => {
      if (item === null) throw new Error("not signed");
      return (await finishIssuance(begun[i]!.pending, TokenResponse.decode(item.response))).encode();
    }),
  );
}

describe("GatewayClient against the local gateway", () => {
  it("reads the directory, with its caching headers", async () => {
    const read = await client.directory();
    expect(read.directory.tokenKeys.map((k) => k.ageOver)).toEqual(expect.arrayContaining([13, 18, 21]));
    expect(read.cacheControl).toMatch(/max-age=\d+/);
    expect(read.etag).toBeTruthy();
  });

  it("reads the whole key log, its chain verified and its key set bounded", async () => {
    const { entries } = await client.verifiedKeyLog({ nowSeconds: gateway.deps.now() });
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i));
    const tail = await client.keyLog({ from: entries.length - 1 });
    expect(tail.entries).toEqual(entries.slice(-1));
  });

  it("lists the registered providers", async () => {
    const providers = await client.providers();
    expect(providers.map((p) => p.id)).toContain("client-prov");
  });

  it("issues with a grant, and checks a token once: the second check is the gateway's ERR_TOKEN_SPENT", async () => {
    const [token] = await tokens(18, 1);
    const answer = await client.check({ siteKey, token: token!, minAge: 18 });
    expect(answer).toMatchObject({ valid: true, ageOver: 18, issuer: gateway.issuerName });
    const again = await client.check({ siteKey, token: token!, minAge: 18 }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(GatewayClientError);
    expect(again).toMatchObject({ code: "ERR_STATUS", status: 409, gatewayCode: "ERR_TOKEN_SPENT" });
    expect((again as GatewayClientError).isContractRefusal).toBe(true);
  });

  it("says which refusal a wrong site key is, without retrying the check", async () => {
    const [token] = await tokens(18, 1);
    const error = await client
      .check({ siteKey: "bgs_wrong", token: token!, minAge: 18 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_STATUS", status: 401, gatewayCode: "ERR_SITE_KEY_INVALID" });
    // The refused check spent nothing: the right key still gets it.
    expect(await client.check({ siteKey, token: token!, minAge: 18 })).toMatchObject({ valid: true });
  });

  it("has no report for a day that is not over", async () => {
    const today = new Date(gateway.deps.now() * 1000).toISOString().slice(0, 10);
    expect(await client.report(today)).toBeUndefined();
  });
});
