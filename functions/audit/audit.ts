import {
  checkKeySet,
  DEFAULT_MIN_KEY_EPOCH_SECONDS,
  GATEWAY_PATHS,
  type KeyLogEntry,
  keyLogPageSchema,
  parseDirectory,
  type ReportAnswer,
  reportAnswerSchema,
  reportHash,
  toHex,
  verifyKeyLog,
  verifyReportSignature,
} from "@blindgate/sdk/protocol";

/*
 * The auditor (a tool beside the gateway, in functions/ for the typecheck; it imports only the SDK): what an independent party (a regulator's auditor, a journalist) checks on a gateway, from its public
 * routes only — the directory, the key log and the daily transparency reports:
 *
 *   key log       one unbroken hash chain from seq 0                                  key-log-chain
 *   key set       at every moment of the log's history and now, at most two live keys  key-partition, short-epoch,
 *                 per threshold and kind, epochs not shorter than the minimum            inconsistent-key
 *                 (the SDK's checkKeySet, the one the wallet and the site gate run)
 *   directory     every key announced in the log and live; at most two per threshold   directory-unannounced-key,
 *                                                                                       directory-too-many-keys
 *   reports       each parses, its hash is right, its signature verifies under a       report-schema, report-hash,
 *                 report key of the log whose window holds the day, it chains to the   report-signature,
 *                 day before, its key-log head is in the log as served today            report-key, report-chain,
 *                                                                                       report-log-head, report-missing
 *   key use       every key a report counts is a token key of the log, issuing that    key-outside-window
 *                 day (issued) or valid that day (accepted)
 *   quotas        per provider and UTC month, the tokens the reports count (a lower    quota-exceeded
 *                 bound: counts are rounded down) stay within the provider's quota
 *
 * Each problem is a finding with a stable code; the verdict is "fail" when there is any.
 */

/** A problem the auditor found. */
export interface Finding {
  readonly code: FindingCode;
  readonly message: string;
  /** The day, key or provider it is about, when there is one. */
  readonly subject?: string;
}

export type FindingCode =
  | "fetch"
  | "key-log-chain"
  | "key-partition"
  | "short-epoch"
  | "inconsistent-key"
  | "directory-unannounced-key"
  | "directory-too-many-keys"
  | "report-schema"
  | "report-hash"
  | "report-signature"
  | "report-key"
  | "report-chain"
  | "report-log-head"
  | "report-missing"
  | "key-outside-window"
  | "quota-exceeded";

export interface AuditResult {
  readonly gateway: string;
  readonly at: string;
  readonly verdict: "pass" | "fail";
  readonly findings: Finding[];
  readonly checked: {
    logEntries: number;
    directoryKeys: number;
    reports: string[];
    firstReportDay: string | undefined;
  };
}

export interface AuditOptions {
  /** Current time, epoch seconds (default: the clock). */
  now?: number;
  /** Shortest key epoch accepted, seconds (default the SDK's, one hour). */
  minEpochSeconds?: number;
  /** How many closed days of reports to check, most recent first (default 31). */
  days?: number;
  fetch?: typeof fetch;
}

const DAY = 86_400;
const utcDay = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;

/**
 * Audit a gateway from its public routes.
 *
 * @example
 * ```ts
 * const result = await auditGateway("https://gateway.example");
 * if (result.verdict === "fail") console.log(result.findings);
 * ```
 */
export async function auditGateway(gatewayUrl: string, options: AuditOptions = {}): Promise<AuditResult> {
  const base = gatewayUrl.replace(/\/+$/, "");
  const get = options.fetch ?? fetch;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const findings: Finding[] = [];
  const find = (code: FindingCode, message: string, subject?: string) =>
    findings.push(subject === undefined ? { code, message } : { code, message, subject });
  const result = (log: number, dir: number, reports: string[], first: string | undefined): AuditResult => ({
    gateway: base,
    at: new Date(now * 1000).toISOString(),
    verdict: findings.length === 0 ? "pass" : "fail",
    findings,
    checked: { logEntries: log, directoryKeys: dir, reports, firstReportDay: first },
  });

  // The key log, every page.
  const entries: KeyLogEntry[] = [];
  try {
    for (let from: number | undefined = 0; from !== undefined; ) {
      const res = await get(`${base}${GATEWAY_PATHS.keyLog}?from=${from}`);
      if (res.status !== 200) throw new Error(`key log: HTTP ${res.status}`);
      const page = keyLogPageSchema.parse(await res.json());
      entries.push(...(page.entries as KeyLogEntry[]));
      from = page.next;
    }
  } catch (error) {
    find("fetch", `the key log cannot be read: ${(error as Error).message.slice(0, 200)}`);
    return result(0, 0, [], undefined);
  }
  if (!(await verifyKeyLog(entries))) {
    find(
      "key-log-chain",
      "the key log is not one unbroken hash chain from seq 0: it was rewritten or truncated",
    );
  }
  checkKeyHistory(entries, now, options.minEpochSeconds ?? DEFAULT_MIN_KEY_EPOCH_SECONDS, find);

  // The directory.
  let directoryKeys = 0;
  try {
    const res = await get(`${base}${GATEWAY_PATHS.directory}`);
    if (res.status !== 200) throw new Error(`directory: HTTP ${res.status}`);
    const directory = parseDirectory(await res.json());
    directoryKeys = directory.tokenKeys.length;
    const perThreshold = new Map<number, number>();
    for (const key of directory.tokenKeys) {
      const id = toHex(
        new Uint8Array(await crypto.subtle.digest("SHA-256", key.tokenKey as Uint8Array<ArrayBuffer>)),
      );
      const mine = entries.filter((e) => e.keyId === id && (e.kind ?? "token") === "token");
      const announced = mine.some((e) => e.event === "created" || e.event === "published");
      const ended = mine.some((e) => e.event === "expired" || e.event === "retired");
      if (!announced || ended) {
        find(
          "directory-unannounced-key",
          "the directory lists a token key the key log does not show live",
          id,
        );
      }
      const t = key.ageOver ?? 0;
      perThreshold.set(t, (perThreshold.get(t) ?? 0) + 1);
    }
    for (const [threshold, count] of perThreshold) {
      if (count > 2) {
        find(
          "directory-too-many-keys",
          `the directory lists ${count} keys for age ${threshold}`,
          String(threshold),
        );
      }
    }
  } catch (error) {
    find("fetch", `the directory cannot be read: ${(error as Error).message.slice(0, 200)}`);
  }

  // The reports, from the first report day (the report key's announcement) or `days` back, to yesterday.
  const reportKeys = entries.filter((e) => e.kind === "report" && e.event === "created");
  const first = reportKeys.length === 0 ? undefined : utcDay(Math.min(...reportKeys.map((e) => e.at)));
  const days: string[] = [];
  const yesterday = utcDay(now - DAY);
  if (first !== undefined) {
    for (let d = yesterday; d >= first && days.length < (options.days ?? 31); d = utcDay(dayStart(d) - DAY)) {
      days.unshift(d);
    }
  }
  const reports = new Map<string, ReportAnswer>();
  for (const day of days) {
    const res = await get(`${base}${GATEWAY_PATHS.report}?day=${day}`).catch(() => undefined);
    if (res?.status !== 200) {
      find("report-missing", `no report for ${day} (HTTP ${res?.status ?? "error"})`, day);
      continue;
    }
    const parsed = reportAnswerSchema.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) {
      find("report-schema", `the report of ${day} does not match the contract`, day);
      continue;
    }
    if (parsed.data.report.day !== day) {
      find("report-schema", `the report asked for ${day} is of ${parsed.data.report.day}`, day);
      continue;
    }
    reports.set(day, parsed.data);
  }
  let previous: ReportAnswer | undefined;
  for (const day of days) {
    const answer = reports.get(day);
    if (answer === undefined) {
      previous = undefined;
      continue;
    }
    await checkReport(answer, previous, day === first, entries, find);
    previous = answer;
  }
  checkQuotas([...reports.values()], find);
  return result(entries.length, directoryKeys, [...reports.keys()], first);
}

/** Key consistency over the log's whole history: the key set at every moment an event happened, and now. */
function checkKeyHistory(
  entries: readonly KeyLogEntry[],
  now: number,
  minEpochSeconds: number,
  find: (code: FindingCode, message: string, subject?: string) => void,
): void {
  const moments = [...new Set([...entries.map((e) => e.at), now])].sort((a, b) => a - b);
  const seen = new Set<string>();
  for (const moment of moments) {
    const upToThen = entries.filter((e) => e.at <= moment);
    const verdict = checkKeySet(upToThen, moment, { minEpochSeconds });
    if (verdict.ok) continue;
    const code: FindingCode =
      verdict.problem === "too-many-live-keys"
        ? "key-partition"
        : verdict.problem === "short-epoch"
          ? "short-epoch"
          : "inconsistent-key";
    const subject = `${verdict.kind}/${verdict.threshold}`;
    if (seen.has(`${code}/${subject}`)) continue;
    seen.add(`${code}/${subject}`);
    find(
      code,
      `${verdict.message} (at ${new Date(moment * 1000).toISOString()}; ${verdict.keyIds.length} key(s))`,
      subject,
    );
  }
}

async function checkReport(
  answer: ReportAnswer,
  previous: ReportAnswer | undefined,
  isFirst: boolean,
  entries: readonly KeyLogEntry[],
  find: (code: FindingCode, message: string, subject?: string) => void,
): Promise<void> {
  const { report } = answer;
  const day = report.day;
  if ((await reportHash(report)) !== answer.hash) {
    find("report-hash", `the report of ${day} does not hash to its hash`, day);
  }
  const start = dayStart(day);
  const end = start + DAY;
  const key = entries.find(
    (e) => e.kind === "report" && e.keyId === report.reportKeyId && e.event === "published",
  );
  if (key === undefined) {
    find(
      "report-key",
      `the report of ${day} is signed by a key the key log never announced as a report key`,
      day,
    );
  } else {
    if (end <= key.notBefore - DAY || start >= key.issueUntil) {
      find("report-key", `the report of ${day} is for a day outside its report key's window`, day);
    }
    if (!(await verifyReportSignature(report, answer.signature, key.spki))) {
      find(
        "report-signature",
        `the signature of the report of ${day} does not verify: forged or altered`,
        day,
      );
    }
  }
  if (previous !== undefined && report.prevHash !== previous.hash) {
    find("report-chain", `the report of ${day} does not chain to the report of ${previous.report.day}`, day);
  }
  if (isFirst && report.prevHash !== "") {
    find("report-chain", `the first report (${day}) chains to something`, day);
  }
  const head = entries[report.keyLogHead.seq];
  if (head?.hash !== report.keyLogHead.hash) {
    find(
      "report-log-head",
      `the key log head the report of ${day} signed (seq ${report.keyLogHead.seq}) is not in the log served now: the log was rewritten`,
      day,
    );
  }
  for (const epoch of report.epochs) {
    const mine = entries.filter((e) => e.keyId === epoch.keyId && (e.kind ?? "token") === "token");
    const window = mine[0];
    if (window === undefined) {
      find("key-outside-window", `the report of ${day} counts a key the log never announced`, epoch.keyId);
      continue;
    }
    if (epoch.issued > 0 && (end <= window.notBefore || start >= window.issueUntil)) {
      find("key-outside-window", `key issued on ${day}, outside its issuing window`, epoch.keyId);
    }
    if (epoch.accepted > 0 && (end <= window.notBefore || start >= window.validUntil)) {
      find("key-outside-window", `key's tokens accepted on ${day}, outside their validity`, epoch.keyId);
    }
    if (window.threshold !== epoch.threshold) {
      find(
        "key-outside-window",
        `the report of ${day} gives a key another threshold than the log`,
        epoch.keyId,
      );
    }
  }
}

/** Per provider and UTC month, the sum of the reported (rounded-down) tokens must stay within the quota. */
function checkQuotas(
  reports: readonly ReportAnswer[],
  find: (code: FindingCode, message: string, subject?: string) => void,
): void {
  const months = new Map<string, { tokens: number; quota: number }>();
  for (const { report } of reports) {
    for (const p of report.providers) {
      const k = `${p.id} ${report.day.slice(0, 7)}`;
      const m = months.get(k) ?? { tokens: 0, quota: p.monthlyQuota };
      m.tokens += p.tokens;
      m.quota = Math.max(m.quota, p.monthlyQuota); // a quota raised mid-month: the higher one
      months.set(k, m);
    }
  }
  for (const [k, m] of months) {
    if (m.tokens > m.quota) {
      const [id, month] = k.split(" ");
      find(
        "quota-exceeded",
        `provider ${id} issued at least ${m.tokens} tokens in ${month}, over its quota of ${m.quota}`,
        id,
      );
    }
  }
}

/** A verdict in words. */
export function describeAudit(result: AuditResult): string {
  const lines = [
    `audit of ${result.gateway} at ${result.at}: ${result.verdict === "pass" ? "PASS" : "FAIL"}`,
    `  key log: ${result.checked.logEntries} entries; directory: ${result.checked.directoryKeys} token keys`,
    `  reports checked: ${result.checked.reports.length}${result.checked.reports.length > 0 ? ` (${result.checked.reports[0]} to ${result.checked.reports.at(-1)})` : result.checked.firstReportDay === undefined ? " (no report key announced yet)" : " (no closed day yet)"}`,
  ];
  for (const f of result.findings) lines.push(`  ✗ [${f.code}] ${f.message}`);
  if (result.findings.length === 0) lines.push("  ✓ no finding");
  return lines.join("\n");
}
