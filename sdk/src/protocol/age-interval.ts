import { ProtocolError } from "./errors.js";

/*
 * Age intervals: what a key, a grant, a token or a site's question is about.
 *
 *   [from, below)   a band: the holder is at least `from` and younger than `below` (13–15 is { from: 13, below: 16 })
 *   [from, ∞)       a threshold: no `below` (18+ is { from: 18 })
 *
 * A threshold keeps its wire form exactly ("age-over" alone, the key log's `threshold`); a band adds one field,
 * "age-below" / `ageBelow`, beside it. `below` is exclusive so that intervals compose without off-by-one mistakes
 * ([13,16) and [16,18) tile [13,18)); people read the inclusive form, which formatInterval() prints.
 */

/** Youngest age an interval may start at, and the largest age any interval may name. */
export const MIN_AGE = 1;
export const MAX_AGE = 150;

/** The gateway's default thresholds (BLINDGATE_THRESHOLDS). */
export const DEFAULT_THRESHOLDS: readonly number[] = [13, 15, 16, 18, 21];
/**
 * The gateway's default bands (BLINDGATE_BANDS "13-16,16-18,13-18"): younger teens 13–15, older teens 16–17 and all
 * teens 13–17, the US app-store categories between "child" (< 13) and "adult".
 */
export const DEFAULT_BANDS: readonly AgeInterval[] = [
  { from: 13, below: 16 },
  { from: 13, below: 18 },
  { from: 16, below: 18 },
];

/** An age interval [from, below); no `below` means a threshold (no upper end). */
export interface AgeInterval {
  readonly from: number;
  readonly below?: number | undefined;
}

/**
 * True when the interval has an upper end (a band).
 *
 * @example
 * ```ts
 * isBand({ from: 13, below: 16 }); // true
 * isBand({ from: 18 });            // false
 * ```
 */
export function isBand(i: AgeInterval): boolean {
  return i.below !== undefined;
}

/**
 * True when `inner` ⊆ `outer`: every age in `inner` is in `outer`. A threshold is inside no band.
 *
 * @example
 * ```ts
 * contains({ from: 13, below: 18 }, { from: 13, below: 16 }); // true: 13–15 is inside 13–17
 * contains({ from: 13, below: 18 }, { from: 13 });            // false: 13+ holds adults
 * contains({ from: 13 }, { from: 16, below: 18 });            // true
 * ```
 */
export function contains(outer: AgeInterval, inner: AgeInterval): boolean {
  if (inner.from < outer.from) return false;
  if (outer.below === undefined) return true;
  return inner.below !== undefined && inner.below <= outer.below;
}

/**
 * May a key of interval `key` be issued on evidence proving the holder is in `proven`? The gateway's rule: the key
 * must claim no more than the evidence, so `proven` ⊆ `key` (the key may be wider, never narrower).
 *
 * @example
 * ```ts
 * keyCoversProof({ from: 13, below: 18 }, { from: 15, below: 16 }); // true: a 15-year-old may hold 13–17
 * keyCoversProof({ from: 13, below: 16 }, { from: 18 });            // false: an adult holds no band
 * ```
 */
export function keyCoversProof(key: AgeInterval, proven: AgeInterval): boolean {
  return contains(key, proven);
}

/**
 * The interval's id for maps, logs, config and reports: "13" for a threshold, "13-16" for a band ([13,16)).
 *
 * @example
 * ```ts
 * intervalKey({ from: 13, below: 16 }); // "13-16"
 * ```
 */
export function intervalKey(i: AgeInterval): string {
  return i.below === undefined ? String(i.from) : `${i.from}-${i.below}`;
}

/**
 * The interval as people read it, upper bound inclusive: "13+" or "13–15".
 *
 * @example
 * ```ts
 * formatInterval({ from: 13, below: 16 }); // "13–15"
 * formatInterval({ from: 18 });            // "18+"
 * ```
 */
export function formatInterval(i: AgeInterval): string {
  return i.below === undefined ? `${i.from}+` : `${i.from}–${i.below - 1}`;
}

/**
 * True when `from` and `below` make an interval blindgate accepts: integers, MIN_AGE <= from <= MAX_AGE, and, for a
 * band, from < below <= MAX_AGE.
 *
 * @example
 * ```ts
 * isAgeInterval({ from: 13, below: 16 }); // true
 * isAgeInterval({ from: 16, below: 13 }); // false
 * ```
 */
export function isAgeInterval(i: { from: unknown; below?: unknown }): i is AgeInterval {
  const { from, below } = i;
  if (!Number.isInteger(from) || (from as number) < MIN_AGE || (from as number) > MAX_AGE) return false;
  if (below === undefined) return true;
  return Number.isInteger(below) && (below as number) > (from as number) && (below as number) <= MAX_AGE;
}

/**
 * The interval of wire fields ("age-over" and the optional "age-below"). Throws ProtocolError("ERR_DECODE_VALUE")
 * when they do not make an interval.
 *
 * @example
 * ```ts
 * intervalFromWire(13, 16); // { from: 13, below: 16 }
 * intervalFromWire(18);     // { from: 18 }
 * ```
 */
export function intervalFromWire(ageOver: number, ageBelow?: number): AgeInterval {
  const i = ageBelow === undefined ? { from: ageOver } : { from: ageOver, below: ageBelow };
  if (!isAgeInterval(i)) {
    throw new ProtocolError(
      "ERR_DECODE_VALUE",
      `age interval: age-over must be an integer ${MIN_AGE}..${MAX_AGE} and age-below, when present, an integer above it up to ${MAX_AGE}`,
    );
  }
  return i;
}

/**
 * Parse an interval id as {@link intervalKey} writes it ("18", "13-16"). Throws ProtocolError("ERR_DECODE_VALUE").
 *
 * @example
 * ```ts
 * parseIntervalKey("16-18"); // { from: 16, below: 18 }
 * ```
 */
export function parseIntervalKey(text: string): AgeInterval {
  const m = /^(\d{1,3})(?:-(\d{1,3}))?$/.exec(text.trim());
  if (m === null) {
    throw new ProtocolError(
      "ERR_DECODE_VALUE",
      'age interval: expected "FROM" or "FROM-BELOW", such as 18 or 13-16',
    );
  }
  return intervalFromWire(Number(m[1]), m[2] === undefined ? undefined : Number(m[2]));
}

/**
 * Parse a comma-separated list of interval ids ("13-16,16-18,13-18"), sorted by {@link compareIntervals} and
 * without duplicates. Throws ProtocolError("ERR_DECODE_VALUE") on any item that is not an interval.
 *
 * @example
 * ```ts
 * parseIntervalList("13-16,16-18"); // [{ from: 13, below: 16 }, { from: 16, below: 18 }]
 * ```
 */
export function parseIntervalList(text: string): AgeInterval[] {
  const items = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const byKey = new Map<string, AgeInterval>();
  for (const item of items) {
    const i = parseIntervalKey(item);
    byKey.set(intervalKey(i), i);
  }
  return [...byKey.values()].sort(compareIntervals);
}

/**
 * Same interval?
 *
 * @example
 * ```ts
 * sameInterval({ from: 13 }, { from: 13, below: 16 }); // false: a threshold is not a band
 * ```
 */
export function sameInterval(a: AgeInterval, b: AgeInterval): boolean {
  return a.from === b.from && a.below === b.below;
}

/**
 * Order: by `from`, then bands by `below`, thresholds last.
 *
 * @example
 * ```ts
 * [{ from: 18 }, { from: 13 }, { from: 13, below: 16 }].sort(compareIntervals); // 13–15, 13+, 18+
 * ```
 */
export function compareIntervals(a: AgeInterval, b: AgeInterval): number {
  if (a.from !== b.from) return a.from - b.from;
  return (a.below ?? Number.POSITIVE_INFINITY) - (b.below ?? Number.POSITIVE_INFINITY);
}
