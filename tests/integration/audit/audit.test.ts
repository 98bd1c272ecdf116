import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  DIRECTORY_PATH,
  type KeyLogEntry,
  keyLogHash,
  keyLogPageSchema,
  type ReportAnswer,
  reportAnswerSchema,
  reportHash,
} from "@blindgate/sdk/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuditResult, auditGateway } from "../../../functions/audit/audit.js";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { check, currentKey, issue, makeGrant, registerProvider } from "../gateway/client.js";

/*
 * The auditor against an honest local gateway (no finding), then against fakes serving that gateway's own public
 * data, altered one way each: a forged report, a rewritten key log (re-chained, so the chain itself verifies), and a
 * partitioning key set (50 live keys for age 18). Each must give its own finding, and only it.
 */

const DAY = 86_400;

interface Published {
  directory: unknown;
  entries: KeyLogEntry[];
  reports: Map<string, ReportAnswer>;
}

/** A fake gateway serving given public data, in the contract's shapes. */
async function serveFake(data: Published): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === DIRECTORY_PATH) return send(200, data.directory);
    if (url.pathname === "/v1/key-log") return send(200, { entries: data.entries });
    if (url.pathname === "/v1/report") {
      const report = data.reports.get(url.searchParams.get("day") ?? "");
      return report === undefined
        ? send(404, { error: { code: "ERR_NOT_FOUND", message: "no report" } })
        : send(200, report);
    }
    send(404, { error: { code: "ERR_NOT_FOUND", message: "no such route" } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Re-chain entries from `from` on (what a gateway rewriting its log would do so the chain still verifies). */
async function rechain(entries: KeyLogEntry[], from: number): Promise<KeyLogEntry[]> {
  const out = entries.slice(0, from);
  for (let i = from; i < entries.length; i++) {
    const { hash: _old, ...rest } = entries[i] as KeyLogEntry;
    const unhashed = { ...rest, seq: i, prevHash: out[i - 1]?.hash ?? "" };
    out.push({ ...unhashed, hash: await keyLogHash(unhashed) });
  }
  return out;
}

const codes = (result: AuditResult) => [...new Set(result.findings.map((f) => f.code))].sort();

describe("auditor", () => {
  let gateway: LocalGateway;
  let clock = Date.parse("2031-05-20T08:00:00Z") / 1000;
  let honest: Published;
  const fakes: Server[] = [];

  beforeAll(async () => {
    gateway = await startLocalGateway({ wallet: false, now: () => clock, thresholds: [13, 18] });
    const provider = await registerProvider(gateway, "prov-audit", 500);
    const { apiKey } = await gateway.addSite("Audit site");
    await fetch(`${gateway.url}/v1/report?day=2031-05-20`); // creates and announces the report key
    for (let day = 0; day < 3; day++) {
      const key = await currentKey(gateway, 18);
      const issued = await issue(
        gateway,
        await makeGrant(gateway, provider, { max_tokens: 12 }),
        Array(12).fill(key),
      );
      for (const token of issued.tokens.slice(0, 11)) {
        if (token !== null) expect((await check(gateway, apiKey, token, 18)).status).toBe(200);
      }
      clock += DAY;
    }
    const entries = keyLogPageSchema.parse(await (await fetch(`${gateway.url}/v1/key-log`)).json())
      .entries as KeyLogEntry[];
    const reports = new Map<string, ReportAnswer>();
    for (const day of ["2031-05-20", "2031-05-21", "2031-05-22"]) {
      const res = await fetch(`${gateway.url}/v1/report?day=${day}`);
      reports.set(day, reportAnswerSchema.parse(await res.json()));
    }
    const directory: unknown = await (await fetch(`${gateway.url}${DIRECTORY_PATH}`)).json();
    honest = { directory, entries, reports };
  }, 120_000);
  afterAll(async () => {
    for (const server of fakes) await new Promise<void>((resolve) => server.close(() => resolve()));
    await gateway?.close();
  });

  async function auditFake(data: Published): Promise<AuditResult> {
    const fake = await serveFake(data);
    fakes.push(fake.server);
    return auditGateway(fake.url, { now: clock });
  }

  it("passes an honest gateway: chains, signatures, key set, key use and quotas all hold", async () => {
    const result = await auditGateway(gateway.url, { now: clock });
    expect(result.findings).toEqual([]);
    expect(result.verdict).toBe("pass");
    expect(result.checked.reports).toEqual(["2031-05-20", "2031-05-21", "2031-05-22"]);
    expect(result.checked.firstReportDay).toBe("2031-05-20");
  });

  it("passes the same data served by the fake (the fake itself changes nothing)", async () => {
    expect(codes(await auditFake(honest))).toEqual([]);
  });

  it("finds a forged report: a count raised, hash recomputed, signature kept", async () => {
    const reports = new Map(honest.reports);
    const last = reports.get("2031-05-22") as ReportAnswer;
    const report = {
      ...last.report,
      epochs: last.report.epochs.map((e) => ({ ...e, issued: e.issued + 100 })),
    };
    reports.set("2031-05-22", { ...last, report, hash: await reportHash(report) });
    const result = await auditFake({ ...honest, reports });
    expect(codes(result)).toEqual(["report-signature"]);
    expect(result.verdict).toBe("fail");
    expect(result.findings[0]?.subject).toBe("2031-05-22");
  });

  it("finds a rewritten key log, even re-chained so that the chain verifies", async () => {
    const first = honest.entries.find((e) => (e.kind ?? "token") === "token" && e.threshold === 18);
    expect(first).toBeDefined();
    // every entry of one key gets a longer validity, and the chain is recomputed from the first changed entry on
    const changed = honest.entries.map((e) =>
      e.keyId === first?.keyId ? { ...e, validUntil: e.validUntil + 30 * DAY } : e,
    );
    const entries = await rechain(changed, first?.seq ?? 0);
    const result = await auditFake({ ...honest, entries });
    expect(codes(result)).toEqual(["report-log-head"]);
  });

  it("finds a partitioning key set: 50 live keys for age 18", async () => {
    const extra: KeyLogEntry[] = [];
    for (let i = 0; i < 48; i++) {
      for (const event of ["created", "published"] as const) {
        extra.push({
          seq: 0,
          at: clock - 3600,
          event,
          keyId: randomBytes(32).toString("hex"),
          threshold: 18,
          spki: randomBytes(16).toString("base64url"),
          notBefore: clock - 3600,
          issueUntil: clock + 7 * DAY,
          validUntil: clock + 14 * DAY,
          prevHash: "",
          hash: "",
        });
      }
    }
    // same key id for a key's two events
    for (let i = 0; i < extra.length; i += 2) {
      extra[i + 1] = { ...(extra[i + 1] as KeyLogEntry), keyId: (extra[i] as KeyLogEntry).keyId };
    }
    const entries = await rechain([...honest.entries, ...extra], honest.entries.length);
    const result = await auditFake({ ...honest, entries });
    expect(codes(result)).toEqual(["key-partition"]);
    expect(result.findings[0]?.subject).toBe("token/18");
  });

  it("finds a provider over its quota from the reports' counts", async () => {
    const reports = new Map(honest.reports);
    // the gateway lowering a quota after the fact is what an auditor sees as "issued over quota"
    for (const [day, answer] of reports) {
      const report = {
        ...answer.report,
        providers: answer.report.providers.map((p) => ({ ...p, monthlyQuota: 15 })),
      };
      reports.set(day, { ...answer, report, hash: await reportHash(report) });
    }
    const result = await auditFake({ ...honest, reports });
    expect(codes(result)).toEqual(["quota-exceeded", "report-chain", "report-signature"]);
  });

  it("npm run audit prints the verdict and writes the JSON file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "blindgate-audit-"));
    try {
      const out = join(dir, "audit.json");
      // a gateway on the real clock: no closed day yet, a pass with no report to check
      const live = await startLocalGateway({ wallet: false });
      try {
        const { stdout } = await promisify(execFile)(
          "npx",
          ["tsx", "--conditions=blindgate-source", "functions/audit/cli.ts", live.url, "--out", out],
          { env: { ...process.env, NODE_NO_WARNINGS: "1" } },
        );
        expect(stdout).toContain("PASS");
        const written = JSON.parse(await readFile(out, "utf8")) as AuditResult;
        expect(written.verdict).toBe("pass");
        expect(written.gateway).toBe(live.url);
      } finally {
        await live.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
