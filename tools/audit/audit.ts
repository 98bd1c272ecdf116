import { GatewayClient, GatewayClientError } from "@blindgate/sdk/client";
import {
  checkKeySet,
  creditKeyId,
  DEFAULT_MIN_KEY_EPOCH_SECONDS,
  GATEWAY_PATHS,
  type IssuerDirectory,
  type KeyLogEntry,
  type ReportAnswer,
  reportHash,
  toHex,
  verifyKeyLog,
  verifyReportSignature,
} from "@blindgate/sdk/protocol";
import { type AuditMemory, compareWithMemory, type KeyLogHead } from "./memory.js";

/*
 * The auditor: what an independent party (a regulator's auditor, a journalist) checks on a gateway from its public
 * routes only — the directory, the key log and the daily transparency reports — through the SDK's gateway client,
 * as any client of the gateway does. It needs none of the gateway's code.
 *
 *   check        what holds when it passes                                           finding codes
 *   key-log      the log is read to its end (paging advances) and is one unbroken     fetch, key-log-paging,
 *                hash chain from seq 0                                                key-log-chain
 *   key-set      at every moment of the log's history and now, at most two live keys   key-partition, short-epoch,
 *                per interval and kind, epochs not shorter than the minimum           inconsistent-key
 *                (the SDK's checkKeySet, the one the wallet and the site gate run)
 *   directory    every token key and every credit key it lists is announced live in    directory-unreadable,
 *                the log; at most two per interval and kind                           directory-unannounced-key,
 *                                                                                     directory-too-many-keys
 *   reports      a report key is announced and closed days have reports (unless a      no-report-key, no-reports,
 *                fresh gateway is allowed); each report parses, hashes right, is       report-schema, report-hash,
 *                signed by a report key of the log whose window holds the day,         report-signature, report-key,
 *                chains to the day before, and signs a key-log head the log still has  report-chain, report-log-head,
 *                                                                                     report-missing
 *   key-use      every key a report counts is a token key of the log, issuing that     key-outside-window
 *                day (issued) or valid that day (accepted)
 *   quotas       per provider and UTC month, the tokens the reports count (a lower     quota-exceeded
 *                bound: counts are rounded down) stay within the provider's quota
 *   history      what this auditor saw on earlier runs (its memory file) is still      history-rewritten
 *                what the gateway serves: the key-log head, each day's report hash
 *   split-view   the key-log head matches one published elsewhere (--expect-head)      split-view
 *
 * Each problem is a finding with a stable code; the verdict is "fail" when there is any. What one vantage point
 * cannot see is said with every result (VANTAGE).
 */

/** A problem the auditor found. */
export interface Finding {
  readonly code: FindingCode;
  readonly message: string;
  /** The day, key or provider it is about, when there is one. */
  readonly subject?: string;
}

export const CHECKS = {
  "key-log": {
    title: "key log read to its end, one unbroken hash chain",
    codes: ["fetch", "key-log-paging", "key-log-chain"],
  },
  "key-set": {
    title: "at most two live keys per interval and kind, over the whole history",
    codes: ["key-partition", "short-epoch", "inconsistent-key"],
  },
  directory: {
    title: "directory's token and credit keys announced live in the log",
    codes: ["directory-unreadable", "directory-unannounced-key", "directory-too-many-keys"],
  },
  reports: {
    title: "daily reports: present, hashed, signed, chained, log head kept",
    codes: [
      "no-report-key",
      "no-reports",
      "report-schema",
      "report-hash",
      "report-signature",
      "report-key",
      "report-chain",
      "report-log-head",
      "report-missing",
    ],
  },
  "key-use": { title: "keys counted by reports used inside their windows", codes: ["key-outside-window"] },
  quotas: { title: "tokens per provider and month within quota", codes: ["quota-exceeded"] },
  history: { title: "history seen on earlier runs unchanged", codes: ["history-rewritten"] },
  "split-view": { title: "key-log head matches the one published elsewhere", codes: ["split-view"] },
} as const;

export type CheckId = keyof typeof CHECKS;
export type FindingCode = (typeof CHECKS)[CheckId]["codes"][number];

/** One check as run: passed, failed (its findings say why), or not run (and why not). */
export interface CheckResult {
  readonly id: CheckId;
  readonly title: string;
  readonly result: "pass" | "fail" | "not run";
  readonly detail: string;
}

/** What one vantage point cannot see, printed with every verdict. */
export const VANTAGE =
  "This audit saw what the gateway served to this machine, at this moment. A gateway that shows different key " +
  "logs or reports to different people (a split view, e.g. a partition for one region or one person) passes " +
  "here. To see one, compare the key-log head above with heads seen from elsewhere: run the audit from another " +
  "network (and let others run it), or compare with a head the operator publishes out of band " +
  "(--expect-head <seq>:<hash>).";

export interface AuditResult {
  readonly gateway: string;
  readonly at: string;
  readonly verdict: "pass" | "fail";
  readonly checks: CheckResult[];
  readonly findings: Finding[];
  readonly checked: {
    logEntries: number;
    directoryKeys: number;
    directoryCreditKeys: number;
    reports: string[];
    firstReportDay: string | undefined;
    rememberedDays: number;
  };
  /** The key log's last entry as served now (compare it with other vantage points). */
  readonly keyLogHead: KeyLogHead | undefined;
  /** What to keep for the next run (written by the CLI unless the history was rewritten). */
  readonly memory: AuditMemory;
  readonly vantage: string;
}

export interface AuditOptions {
  /** Current time, epoch seconds (default: the clock). */
  now?: number;
  /** Shortest key epoch accepted, seconds (default the SDK's, one hour). */
  minEpochSeconds?: number;
  /** How many closed days of reports to check, most recent first (default 31). */
  days?: number;
  /**
   * Accept a gateway that has published no report yet (no report key, or no closed day): a fresh local one. Off
   * by default: a deployed gateway with nothing to audit is not a pass.
   */
  allowFresh?: boolean;
  /** What earlier runs saw (from the memory file). */
  memory?: AuditMemory;
  /** A key-log head published elsewhere, to compare with. */
  expectHead?: KeyLogHead;
  fetch?: typeof fetch;
}

const DAY = 86_400;
const utcDay = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;
type Find = (code: FindingCode, message: string, subject?: string) => void;

/**
 * Audit a gateway from its public routes.
 *
 * @example
 * ```ts
 * const result = await auditGateway("https://gateway.example", { memory: await readMemory(file) });
 * if (result.verdict === "fail") console.log(result.findings);
 * ```
 */
export async function auditGateway(gatewayUrl: string, options: AuditOptions = {}): Promise<AuditResult> {
  const base = gatewayUrl.replace(/\/+$/, "");
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const findings: Finding[] = [];
  const find: Find = (code, message, subject) =>
    findings.push(subject === undefined ? { code, message } : { code, message, subject });
  const notRun = new Map<CheckId, string>();

  // Each key-log page's `from` and `next` as served: the client stops at a `next` that does not advance, and the
  // auditor must say so rather than judge a log cut short.
  const pages: { from: number; next: number | undefined }[] = [];
  const baseFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const observing: typeof fetch = async (input, init) => {
    const response = await baseFetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname === GATEWAY_PATHS.keyLog && response.ok) {
      const body = (await response
        .clone()
        .json()
        .catch(() => undefined)) as { next?: unknown } | undefined;
      pages.push({
        from: Number(url.searchParams.get("from") ?? 0),
        next: typeof body?.next === "number" ? body.next : undefined,
      });
    }
    return response;
  };
  const client = new GatewayClient({ url: base, fetch: observing, attempts: 2 });

  // The key log, every page.
  let entries: KeyLogEntry[] = [];
  try {
    entries = (await client.keyLog()).entries;
  } catch (error) {
    find("fetch", `the key log cannot be read: ${describeError(error)}`);
  }
  const stalled = pages.find((p) => p.next !== undefined && p.next <= p.from);
  if (stalled !== undefined) {
    find(
      "key-log-paging",
      `the key log's paging does not advance (the page from ${stalled.from} names next ${stalled.next}): the log was not read to its end`,
    );
  }
  const head = entries.at(-1);
  const keyLogHead = head === undefined ? undefined : { seq: head.seq, hash: head.hash };
  if (entries.length > 0 && !(await verifyKeyLog(entries))) {
    find(
      "key-log-chain",
      "the key log is not one unbroken hash chain from seq 0: it was rewritten or truncated",
    );
  }
  if (entries.length > 0) {
    checkKeyHistory(entries, now, options.minEpochSeconds ?? DEFAULT_MIN_KEY_EPOCH_SECONDS, find);
  } else {
    notRun.set("key-set", "no key log to read");
  }

  // The directory: token keys and credit keys alike.
  let directory: IssuerDirectory | undefined;
  try {
    directory = (await client.directory()).directory;
  } catch (error) {
    find("directory-unreadable", `the directory cannot be read: ${describeError(error)}`);
  }
  if (directory !== undefined) await checkDirectory(directory, entries, find);

  // The reports, from the first report day (the report key's announcement) or `days` back, to yesterday, and every
  // day an earlier run remembers.
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
  const fetchReport = async (day: string): Promise<ReportAnswer | undefined> => {
    try {
      const answer = await client.report(day);
      if (answer !== undefined && answer.report.day !== day) {
        find("report-schema", `the report asked for ${day} is of ${answer.report.day}`, day);
        return undefined;
      }
      return answer;
    } catch (error) {
      if (error instanceof GatewayClientError && error.code === "ERR_ANSWER") {
        find("report-schema", `the report of ${day} does not match the contract`, day);
      } else {
        find("report-missing", `no report for ${day} (${describeError(error)})`, day);
      }
      return undefined;
    }
  };
  for (const day of days) {
    const answer = await fetchReport(day);
    if (answer !== undefined) reports.set(day, answer);
    else if (!findings.some((f) => f.subject === day)) find("report-missing", `no report for ${day}`, day);
  }
  if (entries.length === 0) notRun.set("reports", "no key log to read report keys from");
  else if (first === undefined) {
    if (options.allowFresh === true)
      notRun.set("reports", "no report key announced yet (allowed: --allow-fresh)");
    else {
      find(
        "no-report-key",
        "the key log announces no report key: this gateway publishes no transparency report (a fresh local gateway may be allowed with --allow-fresh)",
      );
    }
  } else if (first !== undefined && days.length === 0) {
    if (options.allowFresh === true)
      notRun.set("reports", `no closed day since ${first} (allowed: --allow-fresh)`);
    else find("no-reports", `no closed day to check since the report key was announced (${first})`);
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
  if (reports.size === 0) {
    notRun.set("key-use", "no report to read counts from");
    notRun.set("quotas", "no report to read counts from");
  }
  checkQuotas([...reports.values()], find);

  // What earlier runs saw.
  const remembered = options.memory;
  const rememberedReports = new Map(reports);
  if (
    remembered === undefined ||
    (remembered.keyLogHead === undefined && Object.keys(remembered.reports).length === 0)
  ) {
    notRun.set("history", "no memory of an earlier run (this run starts one)");
  } else {
    for (const day of Object.keys(remembered.reports)) {
      if (!rememberedReports.has(day)) {
        const answer = await fetchReport(day);
        if (answer !== undefined) rememberedReports.set(day, answer);
      }
    }
    for (const problem of compareWithMemory(remembered, entries, rememberedReports)) {
      find("history-rewritten", problem.message, problem.subject);
    }
  }
  if (options.expectHead === undefined)
    notRun.set("split-view", "no head published elsewhere given (--expect-head)");
  else {
    const seen = entries[options.expectHead.seq];
    if (seen?.hash !== options.expectHead.hash) {
      find(
        "split-view",
        `the key-log entry ${options.expectHead.seq} served here ${seen === undefined ? "does not exist" : `hashes to ${seen.hash}`}, not to the ${options.expectHead.hash} published elsewhere: a split view, or a rewritten log`,
      );
    }
  }

  const memory: AuditMemory = {
    version: 1,
    gateway: base,
    updatedAt: new Date(now * 1000).toISOString(),
    keyLogHead: keyLogHead ?? remembered?.keyLogHead,
    reports: {
      ...(remembered?.reports ?? {}),
      ...Object.fromEntries([...reports].map(([day, answer]) => [day, answer.hash])),
    },
  };
  const checks = (Object.keys(CHECKS) as CheckId[]).map((id): CheckResult => {
    const mine = findings.filter((f) => (CHECKS[id].codes as readonly string[]).includes(f.code));
    const reason = notRun.get(id);
    return {
      id,
      title: CHECKS[id].title,
      result: mine.length > 0 ? "fail" : reason !== undefined ? "not run" : "pass",
      detail:
        mine.length > 0
          ? `${mine.length} finding(s)`
          : (reason ?? passDetail(id, entries, directory, reports, remembered)),
    };
  });
  return {
    gateway: base,
    at: new Date(now * 1000).toISOString(),
    verdict: findings.length === 0 ? "pass" : "fail",
    checks,
    findings,
    checked: {
      logEntries: entries.length,
      directoryKeys: directory?.tokenKeys.length ?? 0,
      directoryCreditKeys: directory?.creditKeys?.length ?? 0,
      reports: [...reports.keys()],
      firstReportDay: first,
      rememberedDays: Object.keys(remembered?.reports ?? {}).length,
    },
    keyLogHead,
    memory,
    vantage: VANTAGE,
  };
}

function passDetail(
  id: CheckId,
  entries: readonly KeyLogEntry[],
  directory: IssuerDirectory | undefined,
  reports: ReadonlyMap<string, ReportAnswer>,
  memory: AuditMemory | undefined,
): string {
  const days = [...reports.keys()];
  switch (id) {
    case "key-log":
      return `${entries.length} entries`;
    case "key-set":
      return `${new Set(entries.map((e) => e.at)).size + 1} moments checked`;
    case "directory":
      return `${directory?.tokenKeys.length ?? 0} token keys, ${directory?.creditKeys?.length ?? 0} credit keys`;
    case "reports":
    case "key-use":
    case "quotas":
      return `${days.length} report(s), ${days[0]} to ${days.at(-1)}`;
    case "history":
      return `head seq ${memory?.keyLogHead?.seq ?? "-"} and ${Object.keys(memory?.reports ?? {}).length} day(s) as seen before`;
    case "split-view":
      return "same entry as published";
  }
}

function describeError(error: unknown): string {
  if (error instanceof GatewayClientError) {
    return `${error.code}${error.status === undefined ? "" : ` (HTTP ${error.status})`}: ${error.message}`.slice(
      0,
      200,
    );
  }
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}

/** Key consistency over the log's whole history: the key set at every moment an event happened, and now. */
function checkKeyHistory(
  entries: readonly KeyLogEntry[],
  now: number,
  minEpochSeconds: number,
  find: Find,
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
    // a band is a group of its own: "token/13-16" beside "token/13"
    const subject = `${verdict.kind}/${verdict.threshold}${verdict.ageBelow === undefined ? "" : `-${verdict.ageBelow}`}`;
    if (seen.has(`${code}/${subject}`)) continue;
    seen.add(`${code}/${subject}`);
    find(
      code,
      `${verdict.message} (at ${new Date(moment * 1000).toISOString()}; ${verdict.keyIds.length} key(s))`,
      subject,
    );
  }
}

/** Every key the directory lists, token and credit alike, is announced live in the log; at most two per age. */
async function checkDirectory(
  directory: IssuerDirectory,
  entries: readonly KeyLogEntry[],
  find: Find,
): Promise<void> {
  const listed: { kind: "token" | "credit"; id: string; age: string }[] = [];
  for (const key of directory.tokenKeys) {
    const id = toHex(
      new Uint8Array(await crypto.subtle.digest("SHA-256", key.tokenKey as Uint8Array<ArrayBuffer>)),
    );
    listed.push({ kind: "token", id, age: ageOf(key) });
  }
  for (const key of directory.creditKeys ?? []) {
    listed.push({ kind: "credit", id: await creditKeyId(key.actKey), age: ageOf(key) });
  }
  const perAge = new Map<string, number>();
  for (const { kind, id, age } of listed) {
    const mine = entries.filter((e) => e.keyId === id && (e.kind ?? "token") === kind);
    const announced = mine.some((e) => e.event === "created" || e.event === "published");
    const ended = mine.some((e) => e.event === "expired" || e.event === "retired");
    if (!announced || ended) {
      find(
        "directory-unannounced-key",
        `the directory lists a ${kind} key the key log does not show live`,
        id,
      );
    }
    perAge.set(`${kind} ${age}`, (perAge.get(`${kind} ${age}`) ?? 0) + 1);
  }
  for (const [what, count] of perAge) {
    if (count > 2) {
      const [kind, age] = what.split(" ");
      find(
        "directory-too-many-keys",
        `the directory lists ${count} ${kind} keys for age ${age}`,
        `${kind}/${age}`,
      );
    }
  }
}

/** A directory key's age interval as a string id ("18", "13-16"), band bound included when the wire has one. */
function ageOf(key: object): string {
  const over = (key as { ageOver?: number }).ageOver ?? 0;
  const below = (key as { ageBelow?: number }).ageBelow;
  return below === undefined ? String(over) : `${over}-${below}`;
}

async function checkReport(
  answer: ReportAnswer,
  previous: ReportAnswer | undefined,
  isFirst: boolean,
  entries: readonly KeyLogEntry[],
  find: Find,
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
    if (window.threshold !== epoch.threshold || window.ageBelow !== epoch.ageBelow) {
      find(
        "key-outside-window",
        `the report of ${day} gives a key another age interval than the log`,
        epoch.keyId,
      );
    }
  }
}

/** Per provider and UTC month, the sum of the reported (rounded-down) tokens must stay within the quota. */
function checkQuotas(reports: readonly ReportAnswer[], find: Find): void {
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

/** The verdict in words: every check with its result, each finding, the key-log head, and what was not seen. */
export function describeAudit(result: AuditResult): string {
  const mark = { pass: "✓", fail: "✗", "not run": "–" } as const;
  const lines = [
    `audit of ${result.gateway} at ${result.at}: ${result.verdict === "pass" ? "PASS" : "FAIL"}`,
  ];
  for (const check of result.checks) {
    lines.push(`  ${mark[check.result]} ${check.result.padEnd(7)} ${check.title} (${check.detail})`);
    for (const f of result.findings) {
      if ((CHECKS[check.id].codes as readonly string[]).includes(f.code))
        lines.push(`      [${f.code}] ${f.message}`);
    }
  }
  lines.push(
    `  key-log head: ${result.keyLogHead === undefined ? "none" : `seq ${result.keyLogHead.seq} hash ${result.keyLogHead.hash}`}`,
    "",
    result.vantage,
  );
  return lines.join("\n");
}
