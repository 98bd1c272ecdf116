import { intervalKey } from "@blindgate/sdk/protocol";
import { log } from "../observability/log.js";
import { metric } from "../observability/metrics.js";
import type { ReportStore, TokenKeyRecord } from "../stores/index.js";

/*
 * Counting for the transparency report, a concern of its own: the services decide (the spent write, the grant's
 * claim, the nullifier's claim) and then record what they decided here; nothing here wraps, delays or changes a
 * decision. A retry answered again records nothing: it was counted when first served.
 *
 * A container holds its counts in memory and sends them all at once (stores/dynamo/reports.ts: one `ADD` per day)
 * at the start of a later request, beside that request's own work, when the last send is at least
 * config.reportFlushMs old (handlers/route.ts); the report route sends them before sealing. So an answer never
 * waits on a counter write, and a busy container adds one counter write per interval instead of one per request.
 * A counter write that fails never fails a request: it is logged and metered (ReportCountLost), and that day's
 * figures are low by that much; so are they by what a container held when it was shut down.
 *
 * Counter names (attributes of the day's shard items):
 *   issued|<keyId>|<interval>    accepted|<keyId>|<interval>    grants|<provider>   tokens|<provider>
 *   bandGrants|<provider>
 *   (<interval>: the key's threshold, "13", or its band, "13-16", as intervalKey writes it)
 *   refused|<code>               credentials   refills
 * "issued" counts every token signed under a key, whichever route paid for it (a grant, a credential's first
 * batch, a refill); "tokens" counts per provider what its grants bought (tokens and credits: its quota's unit).
 */

/** The names of the report's counters. */
export const COUNTERS = {
  issued: (keyId: string, threshold: number, ageBelow?: number) =>
    `issued|${keyId}|${intervalKey({ from: threshold, below: ageBelow })}`,
  accepted: (keyId: string, threshold: number, ageBelow?: number) =>
    `accepted|${keyId}|${intervalKey({ from: threshold, below: ageBelow })}`,
  grants: (provider: string) => `grants|${provider}`,
  /** Of a provider's grants, those stating a band (age_below): what its band-grant quota counts. */
  bandGrants: (provider: string) => `bandGrants|${provider}`,
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

/** Counts of tokens signed, per key: `issued|<keyId>|<interval>`. */
export function issuedCounts(
  signed: readonly ({ readonly key: TokenKeyRecord } | undefined)[],
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of signed) {
    if (s === undefined) continue;
    const name = COUNTERS.issued(s.key.id, s.key.threshold, s.key.ageBelow);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/**
 * The counts one container holds until they are sent, per day. Built once per container, with its Deps.
 *
 * @example
 * ```ts
 * deps.reportCounts.record(now, { [COUNTERS.refills]: 1 });
 * ```
 */
export class ReportCounts {
  readonly #days = new Map<string, Map<string, number>>();
  /** performance.now() of the last send. */
  #sentAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: ReportStore,
    private readonly flushMs: number,
  ) {}

  /** Add counts to `now`'s day; they leave with a later send. */
  record(now: number, counts: Readonly<Record<string, number>>): void {
    const day = utcDay(now);
    let held = this.#days.get(day);
    if (held === undefined) {
      held = new Map();
      this.#days.set(day, held);
    }
    for (const [name, n] of Object.entries(counts)) held.set(name, (held.get(name) ?? 0) + n);
  }

  /** Counts are held and the interval is over (or they span two days: yesterday's go out at once). */
  get due(): boolean {
    return this.#days.size > 1 || (this.#days.size === 1 && performance.now() - this.#sentAt >= this.flushMs);
  }

  /** Send what is held if it is due; never rejects. */
  flushIfDue(): Promise<void> {
    return this.due ? this.flush() : Promise.resolve();
  }

  /** Send everything held now; never rejects (a lost count is logged by name only, and metered). */
  async flush(): Promise<void> {
    this.#sentAt = performance.now();
    const sends: Promise<void>[] = [];
    for (const [day, held] of this.#days) {
      const counts = Object.fromEntries([...held].filter(([, n]) => n !== 0));
      if (Object.keys(counts).length > 0) sends.push(this.store.count(day, counts).catch(countLost));
    }
    this.#days.clear();
    await Promise.all(sends);
  }
}

function countLost(error: unknown): void {
  log("warn", "report count lost", { error: error instanceof Error ? error.name : typeof error });
  metric("ReportCountLost", 1, { table: "reports" });
}
