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
  encodeActPublicKey,
  generateActKey,
  type KeyLogEntry,
  keyLogHash,
  keyLogPageSchema,
  type ReportAnswer,
  reportAnswerSchema,
  reportHash,
  toBase64Url,
} from "@blindgate/sdk/protocol/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { type AuditResult, auditGateway } from "../../../tools/audit/audit.js";
import { reachableUrl } from "../../../tools/audit/cli.js";
import { type AuditMemory, readMemory } from "../../../tools/audit/memory.js";
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

/** A fake gateway serving given public data, in the contract's shapes; `data` may be swapped between audits. */
async function serveFake(
  initial: Published,
  options: { stalledPaging?: boolean } = {},
): Promise<{ url: string; server: Server; data: { current: Published }; keyLogFetches: () => number }> {
  const data = { current: initial };
  let keyLogFetches = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === DIRECTORY_PATH) return send(200, data.current.directory);
    if (url.pathname === "/v1/key-log") {
      keyLogFetches++;
      // a gateway whose paging never advances: every page names the same `next`
      if (options.stalledPaging === true)
        return send(200, { entries: data.current.entries.slice(0, 2), next: 0 });
      return send(200, { entries: data.current.entries });
    }
    if (url.pathname === "/v1/report") {
      const report = data.current.reports.get(url.searchParams.get("day") ?? "");
      return report === undefined
        ? send(404, { error: { code: "ERR_NOT_FOUND", message: "no report" } })
        : send(200, report);
    }
    send(404, { error: { code: "ERR_NOT_FOUND", message: "no such route" } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    data,
    keyLogFetches: () => keyLogFetches,
  };
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
  let clock = 0;
  let honest: Published;
  const fakes: Server[] = [];

  /** A gateway's public data after three days of honest traffic: `perDay` tokens issued a day, all but one checked. */
  async function threeDays(
    perDay: number,
    quota: number,
  ): Promise<{ gateway: LocalGateway; published: Published }> {
    let now = Date.parse("2031-05-20T08:00:00Z") / 1000;
    const gw = await startLocalGateway({ wallet: false, now: () => now, thresholds: [13, 18] });
    const provider = await registerProvider(gw, "prov-audit", quota);
    const { apiKey } = await gw.addSite("Audit site");
    await fetch(`${gw.url}/v1/report?day=2031-05-20`); // creates and announces the report key
    for (let day = 0; day < 3; day++) {
      const key = await currentKey(gw, 18);
      const issued = await issue(
        gw,
        await makeGrant(gw, provider, { max_tokens: perDay }),
        Array(perDay).fill(key),
      );
      for (const token of issued.tokens.slice(0, perDay - 1)) {
        if (token !== null) expect((await check(gw, apiKey, token, 18)).status).toBe(200);
      }
      now += DAY;
    }
    const entries = keyLogPageSchema.parse(await (await fetch(`${gw.url}/v1/key-log`)).json())
      .entries as KeyLogEntry[];
    const reports = new Map<string, ReportAnswer>();
    for (const day of ["2031-05-20", "2031-05-21", "2031-05-22"]) {
      const res = await fetch(`${gw.url}/v1/report?day=${day}`);
      reports.set(day, reportAnswerSchema.parse(await res.json()));
    }
    const directory: unknown = await (await fetch(`${gw.url}${DIRECTORY_PATH}`)).json();
    return { gateway: gw, published: { directory, entries, reports } };
  }

  beforeAll(async () => {
    const a = await threeDays(12, 500);
    gateway = a.gateway;
    honest = a.published;
    clock = a.gateway.deps.now();
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

  const results = (result: AuditResult) => Object.fromEntries(result.checks.map((c) => [c.id, c.result]));

  it("passes an honest gateway: chains, signatures, key set, key use and quotas all hold", async () => {
    const result = await auditGateway(gateway.url, { now: clock });
    expect(result.findings).toEqual([]);
    expect(result.verdict).toBe("pass");
    expect(result.checked.reports).toEqual(["2031-05-20", "2031-05-21", "2031-05-22"]);
    expect(result.checked.firstReportDay).toBe("2031-05-20");
    // every check it ran, with its result; what it could not run says so and is not counted as a pass
    expect(results(result)).toEqual({
      "key-log": "pass",
      "key-set": "pass",
      directory: "pass",
      reports: "pass",
      "key-use": "pass",
      quotas: "pass",
      history: "not run",
      "split-view": "not run",
    });
    expect(result.checked.directoryCreditKeys).toBeGreaterThan(0);
    expect(result.vantage).toMatch(/split view/);
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

  it("finds an unannounced credit key in the directory, as it does token keys", async () => {
    const directory = structuredClone(honest.directory) as {
      "blindgate-credit-keys": Record<string, unknown>[];
    };
    // a key the log never announced, in place of a listed one (the count per age stays within two)
    const listed = directory["blindgate-credit-keys"][0] as Record<string, unknown>;
    listed["act-key"] = toBase64Url(encodeActPublicKey(generateActKey().publicKey), true);
    const result = await auditFake({ ...honest, directory });
    expect(codes(result)).toEqual(["directory-unannounced-key"]);
    expect(result.findings[0]?.message).toContain("credit key");
  });

  it("stops with a verdict when the key log's paging does not advance", async () => {
    const fake = await serveFake(honest, { stalledPaging: true });
    fakes.push(fake.server);
    const result = await auditGateway(fake.url, { now: clock });
    expect(result.verdict).toBe("fail");
    expect(codes(result)).toContain("key-log-paging");
    expect(fake.keyLogFetches()).toBeLessThan(5);
  });

  it("keeps what it saw, and fails a history rewritten consistently (re-chained log, re-signed reports) that passes a one-off audit", async () => {
    // The same gateway's history told again with 700 tokens where it had 100: another run of the same days.
    const b = await threeDays(30, 5000);
    try {
      const fake = await serveFake(honest);
      fakes.push(fake.server);
      const first = await auditGateway(fake.url, { now: clock });
      expect(first.verdict).toBe("pass");
      const memory: AuditMemory = first.memory;
      expect(Object.keys(memory.reports)).toEqual(["2031-05-20", "2031-05-21", "2031-05-22"]);
      fake.data.current = b.published;
      // alone, the rewritten history is consistent: a one-off audit passes it
      expect((await auditGateway(fake.url, { now: clock })).verdict).toBe("pass");
      const second = await auditGateway(fake.url, { now: clock, memory });
      expect(codes(second)).toEqual(["history-rewritten"]);
      expect(second.findings.map((f) => f.subject).sort()).toEqual([
        "2031-05-20",
        "2031-05-21",
        "2031-05-22",
        "key-log",
      ]);
      expect(results(second).history).toBe("fail");
    } finally {
      await b.gateway.close();
    }
  }, 120_000);

  it("fails a gateway that published no report (no report key, no closed day) unless told it is a fresh local one", async () => {
    const fresh = await startLocalGateway({ wallet: false });
    try {
      const strict = await auditGateway(fresh.url);
      expect(codes(strict)).toEqual(["no-report-key"]);
      expect(results(strict).reports).toBe("fail");
      const allowed = await auditGateway(fresh.url, { allowFresh: true });
      expect(allowed.verdict).toBe("pass");
      expect(results(allowed).reports).toBe("not run");
      await fetch(`${fresh.url}/v1/report?day=2020-01-01`); // announces the report key: no closed day yet
      expect(codes(await auditGateway(fresh.url))).toEqual(["no-reports"]);
    } finally {
      await fresh.close();
    }
  });

  it("compares the key-log head with one published elsewhere", async () => {
    const fake = await serveFake(honest);
    fakes.push(fake.server);
    const head = honest.entries.at(-1) as KeyLogEntry;
    expect(
      (await auditGateway(fake.url, { now: clock, expectHead: { seq: head.seq, hash: head.hash } })).verdict,
    ).toBe("pass");
    const other = { seq: head.seq, hash: "0".repeat(64) };
    expect(codes(await auditGateway(fake.url, { now: clock, expectHead: other }))).toEqual(["split-view"]);
  });

  it("fails a gateway it cannot reach, and runs no check it has nothing for", async () => {
    const result = await auditGateway("http://127.0.0.1:9");
    expect(codes(result)).toEqual(["directory-unreadable", "fetch"]);
    expect(results(result)).toMatchObject({ "key-log": "fail", reports: "not run", quotas: "not run" });
  });

  it("reaches *.localhost as browsers do", () => {
    expect(reachableUrl("http://gateway.localhost:8787/")).toBe("http://127.0.0.1:8787");
    expect(reachableUrl("http://localhost:8787")).toBe("http://127.0.0.1:8787");
    expect(reachableUrl("https://gateway.example")).toBe("https://gateway.example");
  });

  it("npm run audit prints each check and the verdict, writes its result and memory outside the repository, and takes the URL npm start prints", async () => {
    const dir = await mkdtemp(join(tmpdir(), "blindgate-audit-"));
    try {
      // the gateway as npm start runs it: browsers reach it as gateway.localhost
      const live = await startLocalGateway({ wallet: false, publicHost: "gateway.localhost" });
      const run = (...args: string[]) =>
        promisify(execFile)(
          "npx",
          ["tsx", "--conditions=blindgate-source", "tools/audit/cli.ts", live.url, ...args],
          {
            env: { ...process.env, NODE_NO_WARNINGS: "1", XDG_STATE_HOME: dir },
          },
        ).then(
          (r) => ({ code: 0, stdout: r.stdout }),
          (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
        );
      try {
        expect(live.url).toMatch(/^http:\/\/gateway\.localhost:\d+$/);
        const strict = await run();
        expect(strict.code).toBe(1);
        expect(strict.stdout).toContain("FAIL");
        expect(strict.stdout).toMatch(/✗ fail +daily reports/);
        expect(strict.stdout).toContain("[no-report-key]");
        const fresh = await run("--allow-fresh");
        expect(fresh.code).toBe(0);
        expect(fresh.stdout).toContain("PASS");
        for (const line of [
          /✓ pass +key log read to its end/,
          /✓ pass +at most two live keys/,
          /– not run +daily reports/,
        ]) {
          expect(fresh.stdout).toMatch(line);
        }
        expect(fresh.stdout).toContain("split view");
        const port = new URL(live.url).port;
        const out = join(
          dir,
          "blindgate",
          "audit",
          `audit-127.0.0.1_${port}-${new Date().toISOString().slice(0, 10)}.json`,
        );
        expect(fresh.stdout).toContain(`result written: ${out}`);
        const written = JSON.parse(await readFile(out, "utf8")) as AuditResult;
        expect(written.verdict).toBe("pass");
        expect(written.gateway).toBe(`http://127.0.0.1:${port}`);
        const memoryFile = join(dir, "blindgate", "audit", `127.0.0.1_${port}.json`);
        expect(fresh.stdout).toContain(memoryFile);
        expect((await readMemory(memoryFile))?.keyLogHead?.seq).toBe(written.keyLogHead?.seq);
      } finally {
        await live.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
