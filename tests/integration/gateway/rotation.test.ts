import { createNodeTokenVerifier } from "@blindgate/sdk/node";
import { toBase64Url, verifyKeyLog } from "@blindgate/sdk/protocol";
import { createAgeGate } from "@blindgate/sdk/site";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import type { KeyLogEntry } from "../../../functions/stores/types.js";
import { type DynamoServer, startDynalite } from "../../support/dynamo.js";
import {
  check,
  currentKey,
  directory,
  errorCode,
  issue,
  makeGrant,
  registerProvider,
  type TestProvider,
} from "./client.js";

/*
 * Key rotation over simulated time (epoch 1 h, tokens valid 30 min after their key stops issuing): a retired key
 * leaves the directory and stops issuing, its tokens stay valid until their expiry and are refused after; the
 * directory never lists more than two keys per threshold; the key log is one unbroken hash chain.
 */

const EPOCH = 3600;
const VALIDITY = 1800;

describe("key rotation over simulated time", () => {
  let server: DynamoServer;
  let gateway: LocalGateway;
  let provider: TestProvider;
  let apiKey: string;
  let clock = 1_900_000_000;

  beforeAll(async () => {
    server = await startDynalite();
    gateway = await startLocalGateway({
      dynamoEndpoint: server.endpoint,
      wallet: false,
      now: () => clock,
      keyEpochSeconds: EPOCH,
      tokenValiditySeconds: VALIDITY,
      thresholds: [13, 18],
    });
    provider = await registerProvider(gateway, "prov-rot");
    apiKey = (await gateway.addSite("Rotation site")).apiKey;
  });
  afterAll(async () => {
    await gateway?.close();
    await server?.stop();
  });

  /** Per interval (each threshold, each default band): one or two keys. */
  async function expectAtMostTwoPerThreshold() {
    const keys = await directory(gateway);
    for (const [t, below] of [[13], [18], [13, 16], [16, 18], [13, 18]] as const) {
      const mine = keys.filter((k) => k.ageOver === t && k.ageBelow === below);
      expect(mine.length).toBeGreaterThanOrEqual(1);
      expect(mine.length).toBeLessThanOrEqual(2);
    }
  }

  it("keeps tokens of a retired key valid until they expire, and refuses them after", async () => {
    const k1 = await currentKey(gateway, 18);
    const grant = await makeGrant(gateway, provider, { max_tokens: 3 });
    const { tokens } = await issue(gateway, grant, [k1, k1, k1]);
    expect(tokens).toHaveLength(3);
    expect((await check(gateway, apiKey, tokens[0]!, 18)).status).toBe(200);
    await expectAtMostTwoPerThreshold();

    // One epoch later: k1 retired, its successor issues, a new next key is published.
    clock += EPOCH + 1;
    const report = await gateway.rotate();
    expect(report.created.map((c) => c.threshold).sort()).toEqual([13, 18]);
    await expectAtMostTwoPerThreshold();
    const listed = (await directory(gateway)).map((k) => Buffer.from(k.tokenKey).toString("hex"));
    expect(listed).not.toContain(Buffer.from(k1).toString("hex"));
    const k2 = await currentKey(gateway, 18);
    expect(Buffer.from(k2).equals(Buffer.from(k1))).toBe(false);

    // The retired key no longer issues...
    const late = await issue(gateway, await makeGrant(gateway, provider, { max_tokens: 1 }), [k1]);
    expect({ status: late.status, code: errorCode(late.body) }).toEqual({
      status: 422,
      code: "ERR_UNKNOWN_KEY",
    });
    // ...but its tokens are accepted until the end of their validity, by the check and by a site's gate (whose
    // directory no longer lists the key: the gate leaves such a token to the gateway's check),
    const gate = createAgeGate({
      issuers: { url: gateway.url, siteKey: apiKey, issuerName: gateway.issuerName },
      minAge: 18,
      session: { secret: "a-test-secret-of-at-least-32-bytes!!", secure: false },
      verifier: createNodeTokenVerifier,
      now: () => clock * 1000,
    });
    const proof = await gate.handleProof(
      new Request("http://127.0.0.1/.well-known/blindgate/proof", {
        method: "POST",
        headers: { "content-type": "application/json", "sec-fetch-site": "same-origin" },
        body: JSON.stringify({ token: toBase64Url(tokens[1]!.encode()) }),
      }),
    );
    expect(proof.status).toBe(200);
    expect((await check(gateway, apiKey, tokens[1]!, 18)).json.error?.code).toBe("ERR_TOKEN_SPENT");
    // and refused after it.
    clock += VALIDITY;
    await gateway.rotate();
    await expectAtMostTwoPerThreshold();
    expect(await check(gateway, apiKey, tokens[2]!, 18)).toMatchObject({
      status: 422,
      json: { error: { code: "ERR_TOKEN_UNKNOWN_KEY" } },
    });
    // The new current key issues.
    const fresh = await issue(gateway, await makeGrant(gateway, provider, { max_tokens: 1 }), [k2]);
    expect(fresh.status).toBe(200);
  });

  it("a second rotation at the same time changes nothing", async () => {
    const report = await gateway.rotate();
    expect(report).toEqual({ skipped: false, created: [], logged: [], removed: [], healed: [] });
  });

  it("logs every key event once, in one hash chain anyone can replay", async () => {
    const res = await fetch(`${gateway.url}/v1/key-log`);
    expect(res.status).toBe(200);
    const { entries } = (await res.json()) as { entries: KeyLogEntry[] };
    // consecutive, linked, every hash right: what the wallet checks before using a key
    expect(await verifyKeyLog(entries)).toBe(true);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i));
    const seen = entries.map((e) => `${e.keyId}/${e.event}`);
    expect(new Set(seen).size).toBe(seen.length);
    // the first 18 key went through its whole life
    const first18 = entries.find((e) => e.kind === undefined && e.threshold === 18)?.keyId; // a token key (credit keys live longer)
    expect(entries.filter((e) => e.keyId === first18).map((e) => e.event)).toEqual([
      "created",
      "published",
      "retired",
      "expired",
    ]);
  });
});
