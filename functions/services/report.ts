import { createHash, sign } from "node:crypto";
import {
  type KeyLogEntry,
  parseIntervalKey,
  REPORT_BUCKET,
  type ReportAnswer,
  type ReportBody,
  reportAnswerSchema,
  reportCanonical,
  toBase64Url,
} from "@blindgate/sdk/protocol/internal";
import { UnavailableError } from "../errors.js";
import { generateReportKey } from "../issuer/report-key.js";
import { logKeyEvent, ROTATION_LEASE, ROTATION_LEASE_SECONDS, readKeyLog } from "../issuer/rotation.js";
import type { Deps } from "../runtime.js";
import { type ReportKeyRecord, withLease } from "../stores/index.js";
import { COUNTERS, utcDay } from "./report-counts.js";

/*
 * The transparency report (GET /v1/report?day=YYYY-MM-DD): per UTC day and per key epoch, what the gateway did,
 * in counts that name no person and no site. The counts come from services/report-counts.ts (the services record
 * what they decided); this file seals and serves them.
 *
 * A day's report is made once, SEAL_DELAY after the day has ended (counts held across midnight reach the store
 * with a container's first request of the new day; the first request for the report seals it, and every earlier
 * day not sealed yet, in order): counts bucketed (rounded down to a multiple of REPORT_BUCKET, so 1..9 publishes
 * as 0), rows whose counts all round to 0 left out (every provider is listed), no total published (no cell can be
 * recovered by subtraction). Then hashed (canonical JSON), chained to the previous day's hash, signed by the report
 * key (issuer/report-key.ts, announced in the key log with kind "report") and written once.
 */

const DAY = 86_400;
/** How long after midnight (UTC) a day's report is sealed: counts still held by containers arrive meanwhile. */
export const SEAL_DELAY = 5 * 60;
/** Longest stretch of unsealed days sealed in one request. */
const MAX_DAYS_SEALED_AT_ONCE = 400;

function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

function addDays(day: string, n: number): string {
  return utcDay(dayStart(day) + n * DAY);
}

/**
 * The published form of a count: rounded down to a multiple of REPORT_BUCKET (0 means 0 to 9).
 *
 * @example
 * ```ts
 * bucket(9); // 0
 * bucket(23); // 20
 * ```
 */
export function bucket(count: number): number {
  return count <= 0 ? 0 : Math.floor(count / REPORT_BUCKET) * REPORT_BUCKET;
}

/**
 * The report key, created (and announced in the key log: "created" then "published", kind "report") the first time.
 * Reports start on the day it is created: `npm run admin -- report init` right after deploying.
 */
export async function ensureReportKey(deps: Deps, now: number): Promise<ReportKeyRecord> {
  const { reports } = deps.stores;
  let key = await reports.getKey();
  if (key === undefined) {
    const record = await generateReportKey(deps.vault, now, utcDay(now));
    key = (await reports.addKey(record)) ? record : await reports.getKey();
    if (key === undefined) throw new UnavailableError("the report key");
  }
  if (key.announced !== true) {
    await announce(deps, key, now);
    await reports.markAnnounced();
  }
  return key;
}

/** Log the report key's "created" and "published" events once, holding the key lifecycle's lease. */
async function announce(deps: Deps, key: ReportKeyRecord, now: number): Promise<void> {
  const logged = (entries: readonly KeyLogEntry[], event: string) =>
    entries.some((e) => e.keyId === key.id && e.event === event);
  const before = await readKeyLog(deps.stores);
  if (logged(before, "created") && logged(before, "published")) return;
  const run = await withLease(deps.stores.claims, ROTATION_LEASE, ROTATION_LEASE_SECONDS, now, async () => {
    // Read under the lease: an announcer that held it before may have finished meanwhile.
    const entries = await readKeyLog(deps.stores);
    for (const event of ["created", "published"] as const) {
      if (logged(entries, event)) continue;
      await logKeyEvent(deps.stores, { ...key, kind: "report", threshold: 0 }, event, now);
    }
  });
  if (!run.held) throw new UnavailableError("the report key (being announced)");
}

/**
 * The report of a closed UTC day, sealing it (and every earlier unsealed day since the first) if needed; undefined
 * for a day not over yet or before the first report.
 *
 * @example
 * ```ts
 * const answer = await reportFor(deps, "2026-12-01", deps.now());
 * ```
 */
export async function reportFor(deps: Deps, day: string, now: number): Promise<ReportAnswer | undefined> {
  const { reports } = deps.stores;
  const lastClosed = addDays(utcDay(now - SEAL_DELAY), -1);
  if (day <= lastClosed) {
    const sealed = await reports.getReport(day);
    if (sealed !== undefined) return parseSealed(sealed.answer);
  }
  // Any request makes sure the key exists and is announced (one read once it is): the first report is of its day.
  const reportKey = await ensureReportKey(deps, now);
  if (day > lastClosed || day < reportKey.firstDay) return undefined;
  await deps.reportCounts.flush(); // this container's own counts first

  // The unsealed days up to `day`, oldest first, and the hash they chain to.
  const pending = [day];
  let prevHash = "";
  for (let d = addDays(day, -1); d >= reportKey.firstDay; d = addDays(d, -1)) {
    const previous = await reports.getReport(d);
    if (previous !== undefined) {
      prevHash = previous.hash;
      break;
    }
    pending.unshift(d);
    if (pending.length > MAX_DAYS_SEALED_AT_ONCE) throw new UnavailableError("the report chain (too long)");
  }
  const entries = await readKeyLog(deps.stores);
  let answer: ReportAnswer | undefined;
  for (const d of pending) {
    answer = await sealDay(deps, reportKey, d, prevHash, entries);
    prevHash = answer.hash;
  }
  return answer;
}

/** Seal one day: build, hash, sign, write once (a concurrent sealer's report wins if it came first). */
async function sealDay(
  deps: Deps,
  key: ReportKeyRecord,
  day: string,
  prevHash: string,
  entries: readonly KeyLogEntry[],
): Promise<ReportAnswer> {
  const body = buildReport(
    day,
    deps.config.issuerName,
    key.id,
    prevHash,
    await deps.stores.reports.counters(day),
    await deps.stores.providers.list(),
    entries,
  );
  const canonical = reportCanonical(body);
  const hash = createHash("sha256").update(canonical).digest("hex");
  const signature = sign("sha256", Buffer.from(canonical, "utf8"), {
    key: await deps.keyCache.reportSigner(key),
    dsaEncoding: "ieee-p1363",
  });
  const answer: ReportAnswer = { report: body, hash, signature: toBase64Url(signature) };
  if (await deps.stores.reports.putReport({ day, hash, answer: JSON.stringify(answer) })) return answer;
  const winner = await deps.stores.reports.getReport(day);
  if (winner === undefined) throw new UnavailableError("the report store");
  return parseSealed(winner.answer);
}

/**
 * A day's report body from its counters, the providers and the key log. Pure: tests call it with made-up counts.
 *
 * @example
 * ```ts
 * const body = buildReport("2026-12-01", "gateway.example", keyId, prevHash, counters, providers, entries);
 * ```
 */
export function buildReport(
  day: string,
  issuer: string,
  reportKeyId: string,
  prevHash: string,
  counters: Readonly<Record<string, number>>,
  providers: readonly { id: string; monthlyQuota: number }[],
  entries: readonly KeyLogEntry[],
): ReportBody {
  const start = dayStart(day);
  const end = start + DAY;
  const epochs = new Map<
    string,
    { keyId: string; threshold: number; ageBelow?: number; issued: number; accepted: number }
  >();
  const perProvider = new Map<string, { grants: number; tokens: number; bandGrants: number }>();
  const refused = new Map<string, number>();
  for (const [name, value] of Object.entries(counters)) {
    const [what, a, b] = name.split("|");
    if ((what === "issued" || what === "accepted") && a !== undefined && b !== undefined) {
      const interval = parseIntervalKey(b);
      const epoch = epochs.get(a) ?? {
        keyId: a,
        threshold: interval.from,
        ...(interval.below === undefined ? {} : { ageBelow: interval.below }),
        issued: 0,
        accepted: 0,
      };
      epoch[what] += value;
      epochs.set(a, epoch);
    } else if ((what === "grants" || what === "tokens" || what === "bandGrants") && a !== undefined) {
      const p = perProvider.get(a) ?? { grants: 0, tokens: 0, bandGrants: 0 };
      p[what] += value;
      perProvider.set(a, p);
    } else if (what === "refused" && a !== undefined) {
      refused.set(a, (refused.get(a) ?? 0) + value);
    }
  }
  const quotas = new Map(providers.map((p) => [p.id, p.monthlyQuota]));
  const head = entries.filter((e) => e.at < end).at(-1);
  if (head === undefined) throw new UnavailableError("the key log (empty)");
  return {
    version: 1,
    issuer,
    day,
    prevHash,
    reportKeyId,
    bucket: REPORT_BUCKET,
    keyLogHead: { seq: head.seq, hash: head.hash },
    epochs: [...epochs.values()]
      .map((e) => ({ ...e, issued: bucket(e.issued), accepted: bucket(e.accepted) }))
      .filter((e) => e.issued > 0 || e.accepted > 0)
      .sort(
        (x, y) =>
          x.threshold - y.threshold ||
          (x.ageBelow ?? 0) - (y.ageBelow ?? 0) ||
          x.keyId.localeCompare(y.keyId),
      ),
    providers: [...new Set([...quotas.keys(), ...perProvider.keys()])].sort().map((id) => ({
      id,
      grants: bucket(perProvider.get(id)?.grants ?? 0),
      tokens: bucket(perProvider.get(id)?.tokens ?? 0),
      // only for a provider that stated bands that day: reports of threshold-only gateways keep their form
      ...(bucket(perProvider.get(id)?.bandGrants ?? 0) > 0
        ? { bandGrants: bucket(perProvider.get(id)?.bandGrants ?? 0) }
        : {}),
      monthlyQuota: quotas.get(id) ?? 0,
    })),
    refused: [...refused.entries()]
      .map(([code, count]) => ({ code, count: bucket(count) }))
      .filter((r) => r.count > 0)
      .sort((x, y) => x.code.localeCompare(y.code)),
    keyEvents: entries
      .filter((e) => e.at >= start && e.at < end)
      .map((e) => ({
        seq: e.seq,
        kind: e.kind ?? "token",
        event: e.event,
        keyId: e.keyId,
        threshold: e.threshold,
        ...(e.ageBelow === undefined ? {} : { ageBelow: e.ageBelow }),
      })),
    credentials: bucket(counters[COUNTERS.credentials] ?? 0),
    refills: bucket(counters[COUNTERS.refills] ?? 0),
  };
}

function parseSealed(json: string): ReportAnswer {
  return reportAnswerSchema.parse(JSON.parse(json));
}
