import type { Deps } from "../runtime.js";
import { utcDay } from "./report-counts.js";

/*
 * The coarse issuance rate the directory publishes for the wallet's first-use delay (DESIGN.md, "Round 2: token
 * supply"): grants of every provider during the last full UTC day, per hour, rounded down to one significant
 * digit (0 below 10 a day). It says how many other people got tokens around the same time — the anonymity set a
 * first proof hides in — and nothing about any provider, site or person. Read once an hour per container.
 */

const HOUR = 3600;

/** One significant digit, rounded down: 0, 1..9, 10, 20, ..., 100, 200, ... */
export function coarse(n: number): number {
  if (n < 1) return 0;
  const scale = 10 ** Math.floor(Math.log10(n));
  return Math.floor(n / scale) * scale;
}

/**
 * Grants per hour over yesterday (UTC), coarse; undefined when there is no count to give (a new gateway).
 *
 * @example
 * ```ts
 * const issuancesPerHour = await issuanceRate(deps, deps.now());
 * ```
 */
export async function issuanceRate(deps: Deps, now: number): Promise<number | undefined> {
  const yesterday = utcDay(now - 86_400);
  return deps.rateCache.get(
    yesterday,
    now,
    () => HOUR,
    async () => {
      const counters = await deps.stores.reports.counters(yesterday);
      let grants = 0;
      for (const [name, value] of Object.entries(counters)) if (name.startsWith("grants|")) grants += value;
      if (grants < 10) return undefined;
      return coarse(grants / 24);
    },
  );
}
