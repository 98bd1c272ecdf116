import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import {
  type KeyLogEntry,
  REPORT_BUCKET,
  type ReportAnswer,
  type ReportBody,
  reportAnswerSchema,
  reportCanonical,
  toBase64Url,
} from "@blindgate/sdk/protocol";
import { UnavailableError } from "../http/errors.js";
import { readKeyLog } from "../issuer/rotation.js";
import { log } from "../observability/log.js";
import { metric } from "../observability/metrics.js";
import type { Deps } from "../runtime.js";
import type { ReportKeyRecord, TokenKeyRecord } from "../stores/index.js";

/*
 * The transparency report (GET /v1/report?day=YYYY-MM-DD): per UTC day and per key epoch, what the gateway did,
 * in counts that name no person and no site.
 *
 * Counting. Issuance and checks add to per-day counters (stores/dynamo/reports.ts: DynamoDB `ADD` on one of a few
 * shard items). A container holds its counts in memory and sends them, all at once, with a request's own deciding
 * write (the grant's jti and quota for an issuance, the spent-set write for a check) when the last send is at least
 * config.reportFlushMs old: the accepted path gains no round trip, and a busy container adds one counter write per
 * interval instead of one per request (half the write units of a check). The count is optimistic; when the deciding
 * write refuses or fails, it is taken back (and the refusal counted). A counter write that fails never fails the
 * request: it is logged and metered (ReportCountLost), and that day's figures are then low by that much; so are they
 * by what a container held when it was shut down (at most one interval of its traffic).
 *
 * Counter names (attributes of the day's shard items):
 *   issued|<keyId>|<threshold>   accepted|<keyId>|<threshold>   grants|<provider>   tokens|<provider>
 *   refused|<code>               credentials   refills   (the credit-credential routes add to the last two)
 *
 * Reporting. A day's report is made once, SEAL_DELAY after the day has ended (counts held across midnight reach
 * the store with a container's first request of the new day; the first request for the report seals it, and every
 * earlier day not sealed yet, in order): counts bucketed (rounded down to a multiple of REPORT_BUCKET, so 1..9
 * publishes as 0), rows whose counts all round to 0 left out (every provider is listed), no total published (no
 * cell can be recovered by subtraction). Then hashed (canonical JSON), chained to the previous day's hash, signed
 * by the report key (ECDSA P-256, announced in the key log with kind "report") and written once.
 */

const DAY = 86_400;
/** How long the report key signs reports. */
export const REPORT_KEY_SIGNS_SECONDS = 5 * 365 * DAY;
/** How long after midnight (UTC) a day's report is sealed: counts still held by containers arrive meanwhile. */
export const SEAL_DELAY = 5 * 60;
/** Longest stretch of unsealed days sealed in one request. */
const MAX_DAYS_SEALED_AT_ONCE = 400;

/** The names of the report's counters. */
export const COUNTERS = {
  issued: (keyId: string, threshold: number) => `issued|${keyId}|${threshold}`,
  accepted: (keyId: string, threshold: number) => `accepted|${keyId}|${threshold}`,
  grants: (provider: string) => `grants|${provider}`,
  tokens: (provider: string) => `tokens|${provider}`,
  refused: (code: string) => `refused|${code}`,
  /** Credit credentials issued (POST /v1/credential). */
  credentials: "credentials",
  /** Refills served (POST /v1/refill). */
  refills: "refills",
} as const;

/** The UTC day of an instant, YYYY-MM-DD. */
export function utcDay(now: number): string {
  return new Date(now * 1000).toISOString().slice(0, 10);
}

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
 * The counts one container holds, per day, until they are sent (one `ADD` per day, with every counter at once).
 * They are sent with a request's own deciding write when the last send is at least config.reportFlushMs old, so a
 * busy container sends one counter write per interval, not one per request, and a quiet one (a request a second
 * or less) sends each request's counts with that request. Kept per store set: the handlers of one container (or
 * of the local gateway) share it.
 */
class HeldCounts {
  readonly #days = new Map<string, Map<string, number>>();
  /** performance.now() of the last send. */
  #sentAt = Number.NEGATIVE_INFINITY;

  add(day: string, counts: Readonly<Record<string, number>>): void {
    let held = this.#days.get(day);
    if (held === undefined) {
      held = new Map();
      this.#days.set(day, held);
    }
    for (const [name, n] of Object.entries(counts)) held.set(name, (held.get(name) ?? 0) + n);
  }

  /** Counts are held and the interval is over (or they span two days: yesterday's go out at once). */
  due(flushMs: number): boolean {
    return this.#days.size > 1 || (this.#days.size === 1 && performance.now() - this.#sentAt >= flushMs);
  }

  /** Everything held, per day (the zeros left out); the holder is empty afterwards. */
  take(): [string, Record<string, number>][] {
    this.#sentAt = performance.now();
    const out: [string, Record<string, number>][] = [];
    for (const [day, held] of this.#days) {
      const counts = Object.fromEntries([...held].filter(([, n]) => n !== 0));
      if (Object.keys(counts).length > 0) out.push([day, counts]);
    }
    this.#days.clear();
    return out;
  }
}

const held = new WeakMap<object, HeldCounts>();

function heldCounts(deps: Deps): HeldCounts {
  let counts = held.get(deps.stores);
  if (counts === undefined) {
    counts = new HeldCounts();
    held.set(deps.stores, counts);
  }
  return counts;
}

/**
 * Send every count this container holds now, without failing the caller: a lost count is logged (by name only)
 * and metered. The report seals a day only after doing this, and a container's counts reach the store with its
 * next request otherwise; what a container holds when it is shut down is lost (at most config.reportFlushMs of its
 * traffic: docs/operator-guide.md).
 *
 * @example
 * ```ts
 * await flushCounts(deps);
 * ```
 */
export async function flushCounts(deps: Deps): Promise<void> {
  await Promise.all(
    heldCounts(deps)
      .take()
      .map(([day, counts]) => deps.stores.reports.count(day, counts).catch(countLost)),
  );
}

/** Send the counts held if they are due; never rejects. */
function flushIfDue(deps: Deps): Promise<void> {
  return heldCounts(deps).due(deps.config.reportFlushMs) ? flushCounts(deps) : Promise.resolve();
}

/**
 * Add counts to today's counters, held and sent when due (see flushCounts); never fails the caller.
 *
 * @example
 * ```ts
 * await addCounts(deps, deps.now(), { [COUNTERS.refills]: 1 });
 * ```
 */
export async function addCounts(deps: Deps, now: number, counts: Record<string, number>): Promise<void> {
  heldCounts(deps).add(utcDay(now), counts);
  await flushIfDue(deps);
}

function countLost(error: unknown): void {
  log("warn", "report count lost", { error: error instanceof Error ? error.name : typeof error });
  metric("ReportCountLost", 1, { table: "reports" });
}

/**
 * A check's spend, counted: `spend` is the spent-set write already sent (true: accepted). The count is added at
 * once (optimistically: when counts are due they go out at the same time as the spend, never after it) and taken
 * back if the spend refuses or fails. Answers what `spend` answered.
 *
 * @example
 * ```ts
 * if (!(await countCheck(deps, key, now, stores.spent.useOnce(id, key.validUntil, now)))) refuse();
 * ```
 */
export async function countCheck(
  deps: Deps,
  key: TokenKeyRecord,
  now: number,
  spend: Promise<boolean>,
): Promise<boolean> {
  const accepted = COUNTERS.accepted(key.id, key.threshold);
  heldCounts(deps).add(utcDay(now), { [accepted]: 1 });
  const [spent] = await Promise.allSettled([spend, flushIfDue(deps)]);
  if (spent.status === "fulfilled" && spent.value) return true;
  // Refused (spent already) or not decided (store fault): take the optimistic count back, count the refusal.
  await addCounts(deps, now, {
    [accepted]: -1,
    ...(spent.status === "fulfilled" ? { [COUNTERS.refused("ERR_TOKEN_SPENT")]: 1 } : {}),
  });
  if (spent.status === "rejected") throw spent.reason;
  return false;
}

/**
 * An issuance's spend (the grant's jti and the provider's quota), counted as a check is: the grant, the tokens per
 * provider and per key are added at once and taken back if the spend refuses, or resolves "retry" (the same request
 * served again was counted when first served). Resolves or rejects as `spend` does.
 *
 * @example
 * ```ts
 * await countIssue(deps, provider.id, plan, now, spend(deps, grant, signable, now));
 * ```
 */
export async function countIssue(
  deps: Deps,
  providerId: string,
  plan: readonly ({ readonly key: TokenKeyRecord } | undefined)[],
  now: number,
  spend: Promise<unknown>,
): Promise<void> {
  const counts: Record<string, number> = { [COUNTERS.grants(providerId)]: 1 };
  let tokens = 0;
  for (const p of plan) {
    if (p === undefined) continue;
    tokens++;
    const name = COUNTERS.issued(p.key.id, p.key.threshold);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  counts[COUNTERS.tokens(providerId)] = tokens;
  heldCounts(deps).add(utcDay(now), counts);
  const [spent] = await Promise.allSettled([spend, flushIfDue(deps)]);
  if (spent.status === "fulfilled" && spent.value !== "retry") return;
  await addCounts(deps, now, Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, -n])));
  if (spent.status === "rejected") throw spent.reason;
}

/**
 * The report key, created (and announced in the key log: "created" then "published", kind "report") the first time.
 * Reports start on the day it is created: `npm run admin -- report init` right after deploying.
 */
export async function ensureReportKey(deps: Deps, now: number): Promise<ReportKeyRecord> {
  const { reports } = deps.stores;
  let key = await reports.getKey();
  if (key === undefined) {
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const spki = new Uint8Array(pair.publicKey.export({ type: "spki", format: "der" }));
    const pkcs8 = new Uint8Array(pair.privateKey.export({ type: "pkcs8", format: "der" }));
    const id = createHash("sha256").update(spki).digest("hex");
    const record: ReportKeyRecord = {
      id,
      spki,
      sealedPrivateKey: await deps.vault.seal(pkcs8, id),
      firstDay: utcDay(now),
      notBefore: now,
      issueUntil: now + REPORT_KEY_SIGNS_SECONDS,
      validUntil: now + 2 * REPORT_KEY_SIGNS_SECONDS,
      createdAt: now,
    };
    pkcs8.fill(0);
    key = (await reports.addKey(record)) ? record : await reports.getKey();
    if (key === undefined) throw new UnavailableError("the report key");
  }
  if (key.announced !== true) {
    await announce(deps, key, now);
    await reports.markAnnounced();
  }
  return key;
}

/** Log the report key's "created" and "published" events once; a claim keeps two announcers apart. */
async function announce(deps: Deps, key: ReportKeyRecord, now: number): Promise<void> {
  const entries = await readKeyLog(deps.stores);
  const missing = (["created", "published"] as const).filter(
    (event) => !entries.some((e) => e.keyId === key.id && e.event === event),
  );
  if (missing.length === 0) return;
  if (!(await deps.stores.reports.claimAnnouncement(now, now + 60))) {
    throw new UnavailableError("the report key (being announced)");
  }
  // Re-read under the claim: an announcer that held it before may have finished meanwhile.
  const latest = await readKeyLog(deps.stores);
  for (const event of missing) {
    if (latest.some((e) => e.keyId === key.id && e.event === event)) continue;
    await deps.stores.keyLog.append({
      kind: "report",
      at: now,
      event,
      keyId: key.id,
      threshold: 0,
      spki: toBase64Url(key.spki),
      notBefore: key.notBefore,
      issueUntil: key.issueUntil,
      validUntil: key.validUntil,
    });
  }
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
  await flushCounts(deps); // this container's own counts first

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
    key: await reportSigner(deps, key),
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
  const epochs = new Map<string, { keyId: string; threshold: number; issued: number; accepted: number }>();
  const perProvider = new Map<string, { grants: number; tokens: number }>();
  const refused = new Map<string, number>();
  for (const [name, value] of Object.entries(counters)) {
    const [what, a, b] = name.split("|");
    if ((what === "issued" || what === "accepted") && a !== undefined && b !== undefined) {
      const epoch = epochs.get(a) ?? { keyId: a, threshold: Number(b), issued: 0, accepted: 0 };
      epoch[what] += value;
      epochs.set(a, epoch);
    } else if ((what === "grants" || what === "tokens") && a !== undefined) {
      const p = perProvider.get(a) ?? { grants: 0, tokens: 0 };
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
      .sort((x, y) => x.threshold - y.threshold || x.keyId.localeCompare(y.keyId)),
    providers: [...new Set([...quotas.keys(), ...perProvider.keys()])].sort().map((id) => ({
      id,
      grants: bucket(perProvider.get(id)?.grants ?? 0),
      tokens: bucket(perProvider.get(id)?.tokens ?? 0),
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
      })),
    credentials: bucket(counters[COUNTERS.credentials] ?? 0),
    refills: bucket(counters[COUNTERS.refills] ?? 0),
  };
}

function parseSealed(json: string): ReportAnswer {
  return reportAnswerSchema.parse(JSON.parse(json));
}

const signers = new Map<string, Promise<KeyObject>>();

/** The report key's private key, opened once per container. */
function reportSigner(deps: Deps, key: ReportKeyRecord): Promise<KeyObject> {
  let signer = signers.get(key.id);
  if (signer === undefined) {
    signer = deps.vault
      .open(key.sealedPrivateKey, key.id)
      .catch((cause: unknown) => {
        throw new UnavailableError("the key vault (KMS)", cause);
      })
      .then((pkcs8) => {
        try {
          return createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
        } finally {
          pkcs8.fill(0);
        }
      });
    signer.catch(() => signers.delete(key.id));
    signers.set(key.id, signer);
  }
  return signer;
}
