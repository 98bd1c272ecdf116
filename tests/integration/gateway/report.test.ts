import {
  type KeyLogEntry,
  keyLogPageSchema,
  REPORT_BUCKET,
  type ReportAnswer,
  reportAnswerSchema,
  reportHash,
  verifyKeyLog,
  verifyReportSignature,
} from "@blindgate/sdk/protocol/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { bucket, buildReport } from "../../../functions/services/report.js";
import { COUNTERS, utcDay } from "../../../functions/services/report-counts.js";
import { type DynamoServer, startDynalite, startDynamoDbLocal } from "../../support/dynamo.js";
import { check, currentKey, issue, makeGrant, registerProvider, type TestProvider } from "./client.js";

/*
 * GET /v1/report over simulated days, on both DynamoDB servers: counts of the day (bucketed), a signature by the
 * report key announced in the key log, days chained by hash; the route's refusals; the suppression rule.
 */

const DAY = 86_400;

async function reportOf(gateway: LocalGateway, day: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${gateway.url}/v1/report?day=${day}`);
  return { status: res.status, body: await res.json() };
}

async function keyLog(gateway: LocalGateway): Promise<KeyLogEntry[]> {
  const res = await fetch(`${gateway.url}/v1/key-log`);
  return keyLogPageSchema.parse(await res.json()).entries as KeyLogEntry[];
}

describe.each([
  ["dynalite", startDynalite],
  ["DynamoDB Local", startDynamoDbLocal],
])("transparency report on %s", (_name, startServer) => {
  let server: DynamoServer;
  let gateway: LocalGateway;
  let provider: TestProvider;
  let apiKey: string;
  // 2030-03-14T10:00:00Z: days are UTC
  let clock = Date.parse("2030-03-14T10:00:00Z") / 1000;
  const day0 = "2030-03-14";

  beforeAll(async () => {
    server = await startServer();
    gateway = await startLocalGateway({
      dynamoEndpoint: server.endpoint,
      wallet: false,
      now: () => clock,
      thresholds: [13, 18],
    });
    provider = await registerProvider(gateway, "prov-report");
    apiKey = (await gateway.addSite("Report site")).apiKey;
  }, 120_000);
  afterAll(async () => {
    await gateway?.close();
    await server?.stop();
  });

  it("has no report for a day not over yet; the first request creates and announces the report key", async () => {
    const today = await reportOf(gateway, day0);
    expect(today.status).toBe(404);
    expect(today.body).toMatchObject({ error: { code: "ERR_NOT_FOUND" } });
    const entries = await keyLog(gateway);
    expect(await verifyKeyLog(entries)).toBe(true);
    const announced = entries.filter((e) => e.kind === "report");
    expect(announced.map((e) => e.event)).toEqual(["created", "published"]);
    expect(announced[0]?.threshold).toBe(0);
  });

  it("refuses a malformed day with 400 ERR_BAD_REQUEST", async () => {
    for (const day of ["2030-13-01", "2030-02-30", "yesterday", "", "2030-3-1"]) {
      const res = await reportOf(gateway, day);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { code: "ERR_BAD_REQUEST" } });
    }
  });

  let first: ReportAnswer;

  it("reports a closed day: bucketed counts per key and provider, refusals by code, signed by the announced key", async () => {
    const key18 = await currentKey(gateway, 18);
    // 23 tokens of threshold 18 issued in two grants; 12 accepted; 11 refused as spent (replays of accepted ones)
    const a = await issue(
      gateway,
      await makeGrant(gateway, provider, { max_tokens: 20 }),
      Array(20).fill(key18),
    );
    const b = await issue(
      gateway,
      await makeGrant(gateway, provider, { max_tokens: 3 }),
      Array(3).fill(key18),
    );
    expect([a.status, b.status]).toEqual([200, 200]);
    const tokens = [...a.tokens, ...b.tokens].filter((t) => t !== null);
    for (const token of tokens.slice(0, 12))
      expect((await check(gateway, apiKey, token, 18)).status).toBe(200);
    for (const token of tokens.slice(0, 11))
      expect((await check(gateway, apiKey, token, 18)).status).toBe(409);

    clock += DAY;
    const res = await reportOf(gateway, day0);
    expect(res.status).toBe(200);
    first = reportAnswerSchema.parse(res.body);
    const { report } = first;
    expect(report.day).toBe(day0);
    expect(report.prevHash).toBe("");
    expect(report.epochs).toHaveLength(1);
    expect(report.epochs[0]).toMatchObject({ threshold: 18, issued: 20, accepted: 10 });
    expect(report.providers).toEqual([
      { id: "prov-report", grants: 0, tokens: 20, monthlyQuota: 1_000_000 }, // 2 grants: below the bucket
    ]);
    expect(report.refused).toEqual([{ code: "ERR_TOKEN_SPENT", count: 10 }]);
    expect(report.credentials).toBe(0);

    const entries = await keyLog(gateway);
    const reportKey = entries.find((e) => e.kind === "report" && e.keyId === report.reportKeyId);
    expect(reportKey).toBeDefined();
    expect(first.hash).toBe(await reportHash(report));
    expect(await verifyReportSignature(report, first.signature, reportKey!.spki)).toBe(true);
    expect(await verifyReportSignature({ ...report, refills: 10 }, first.signature, reportKey!.spki)).toBe(
      false,
    );
    const head = entries.find((e) => e.seq === report.keyLogHead.seq);
    expect(head?.hash).toBe(report.keyLogHead.hash);
    // the day's key events include the report key's announcement
    expect(report.keyEvents.filter((e) => e.kind === "report").map((e) => e.event)).toEqual([
      "created",
      "published",
    ]);
  });

  it("answers the same sealed report again, and chains the next day to it", async () => {
    const again = await reportOf(gateway, day0);
    expect(again.body).toEqual(first);
    clock += DAY;
    const next = reportAnswerSchema.parse((await reportOf(gateway, "2030-03-15")).body);
    expect(next.report.prevHash).toBe(first.hash);
    expect(next.report.epochs).toEqual([]);
    expect((await reportOf(gateway, utcDay(clock))).status).toBe(404);
    expect((await reportOf(gateway, "2030-03-13")).status).toBe(404); // before the first report
  });

  it("seals skipped days in order when a later day is asked first", async () => {
    clock += 3 * DAY;
    const later = reportAnswerSchema.parse((await reportOf(gateway, "2030-03-18")).body);
    const between = reportAnswerSchema.parse((await reportOf(gateway, "2030-03-17")).body);
    const before = reportAnswerSchema.parse((await reportOf(gateway, "2030-03-16")).body);
    const day15 = reportAnswerSchema.parse((await reportOf(gateway, "2030-03-15")).body);
    expect(before.report.prevHash).toBe(day15.hash);
    expect(between.report.prevHash).toBe(before.hash);
    expect(later.report.prevHash).toBe(between.hash);
  });
});

describe("suppression rule: every count rounds down to a multiple of REPORT_BUCKET", () => {
  it("publishes 0 for 1..9, and the decade below otherwise", () => {
    expect(REPORT_BUCKET).toBe(10);
    expect([0, 1, 9, 10, 19, 20, 23, 99, 100, 1234].map(bucket)).toEqual([
      0, 0, 0, 10, 10, 20, 20, 90, 100, 1230,
    ]);
    expect(bucket(-3)).toBe(0); // a counter briefly below zero (a correction) publishes 0
  });

  it("leaves out rows whose counts all round to 0, lists every provider, publishes no total", () => {
    const k1 = "a".repeat(64);
    const k2 = "b".repeat(64);
    const entry = {
      seq: 0,
      at: Date.parse("2030-01-01T01:00:00Z") / 1000,
      event: "created" as const,
      keyId: k1,
      threshold: 18,
      spki: "AA",
      notBefore: 0,
      issueUntil: 0,
      validUntil: 0,
      prevHash: "",
      hash: "c".repeat(64),
    };
    const body = buildReport(
      "2030-01-01",
      "gateway.example",
      "d".repeat(64),
      "",
      {
        [COUNTERS.issued(k1, 18)]: 9,
        [COUNTERS.accepted(k1, 18)]: 4,
        [COUNTERS.issued(k2, 13)]: 31,
        [COUNTERS.grants("small")]: 3,
        [COUNTERS.tokens("small")]: 9,
        [COUNTERS.refused("ERR_TOKEN_SPENT")]: 7,
        [COUNTERS.refills]: 12,
      },
      [
        { id: "small", monthlyQuota: 100 },
        { id: "idle", monthlyQuota: 5 },
      ],
      [entry],
    );
    expect(body.epochs).toEqual([{ keyId: k2, threshold: 13, issued: 30, accepted: 0 }]);
    expect(body.providers).toEqual([
      { id: "idle", grants: 0, tokens: 0, monthlyQuota: 5 },
      { id: "small", grants: 0, tokens: 0, monthlyQuota: 100 },
    ]);
    expect(body.refused).toEqual([]);
    expect(body.refills).toBe(10);
    expect(Object.keys(body)).not.toContain("total");
    expect(body.keyEvents).toEqual([{ seq: 0, kind: "token", event: "created", keyId: k1, threshold: 18 }]);
  });
});
