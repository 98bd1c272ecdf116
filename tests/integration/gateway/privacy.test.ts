import { createHash } from "node:crypto";
import { ScanCommand } from "@blindgate/aws-json/dynamodb";
import { toHex } from "@blindgate/sdk/protocol";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { dynamoClient } from "../../../functions/runtime.js";
import { type DynamoServer, startDynalite } from "../../support/dynamo.js";
import { check, currentKey, issue, makeGrant, registerProvider } from "./client.js";

/*
 * "The gateway cannot link a check to an issuance": everything the gateway sees or keeps at issuance (request and
 * response bytes, log lines, table items) shares nothing with what it sees at check (the token), and every person
 * gets tokens of the same key (no per-user or per-provider keys).
 */

describe("the gateway cannot link a check to an issuance", () => {
  let server: DynamoServer;
  let gateway: LocalGateway;
  const logs: string[] = [];

  let quiet: string | undefined;
  beforeAll(async () => {
    quiet = process.env.BLINDGATE_QUIET;
    delete process.env.BLINDGATE_QUIET; // this test reads the gateway's log lines
    server = await startDynalite();
    gateway = await startLocalGateway({ dynamoEndpoint: server.endpoint, wallet: false, thresholds: [18] });
    for (const level of ["log", "info", "warn", "error"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logs.push(args.map(String).join(" "));
      });
    }
  });
  afterAll(async () => {
    if (quiet !== undefined) process.env.BLINDGATE_QUIET = quiet;
    vi.restoreAllMocks();
    await gateway?.close();
    await server?.stop();
  });

  it("shares no bytes between issuance and check, and gives everyone the same key", async () => {
    const apiKey = (await gateway.addSite("Privacy site")).apiKey;
    const key = await currentKey(gateway, 18);
    const seenAtIssuance: string[] = [];
    const tokens = [];
    for (const id of ["prov-one", "prov-two"]) {
      const provider = await registerProvider(gateway, id);
      const result = await issue(gateway, await makeGrant(gateway, provider, { max_tokens: 3 }), [
        key,
        key,
        key,
      ]);
      expect(result.status).toBe(200);
      seenAtIssuance.push(toHex(result.request), toHex(result.body));
      tokens.push(...result.tokens.map((t) => t as NonNullable<typeof t>));
    }
    const issuanceLogs = logs.join("\n");
    // the logs were captured: one "issued" line per grant and the issuance metrics (what the checks below read)
    expect(logs.filter((l) => l.includes('"message":"issued"'))).toHaveLength(2);
    expect(issuanceLogs).toContain('"TokensIssued"');

    for (const token of tokens) expect((await check(gateway, apiKey, token, 18)).status).toBe(200);

    // one key for everyone: tokens of two providers' grants carry the same token_key_id
    expect(new Set(tokens.map((t) => toHex(t.tokenKeyId))).size).toBe(1);

    const client = dynamoClient(server.endpoint);
    const items: string[] = [];
    for (const table of [
      gateway.config.tables.grants,
      gateway.config.tables.providers,
      gateway.config.tables.keyLog,
    ]) {
      for (const item of (await client.send(new ScanCommand({ TableName: table }))).Items ?? []) {
        items.push(JSON.stringify(item));
      }
    }
    client.destroy();
    const issuanceView = [...seenAtIssuance, issuanceLogs, ...items].join("\n");
    for (const token of tokens) {
      const spentId = createHash("sha256").update(token.tokenKeyId).update(token.nonce).digest("hex");
      for (const value of [toHex(token.nonce), toHex(token.authenticator), spentId]) {
        expect(issuanceView).not.toContain(value);
      }
      // and the signatures the gateway returned are not the token's authenticator (they are blinded)
      expect(seenAtIssuance.join("")).not.toContain(toHex(token.authenticator).slice(0, 64));
    }
    // no log line, at issuance or check, carries token bytes or grants
    const allLogs = logs.join("\n");
    expect(logs.filter((l) => l.includes('"Checks"'))).toHaveLength(tokens.length); // the check lines are there
    for (const token of tokens) expect(allLogs).not.toContain(toHex(token.nonce));
    expect(allLogs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./); // no JWT
  });
});
