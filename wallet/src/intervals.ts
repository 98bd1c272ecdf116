/*
 * Which age interval the wallet presents (the shared model: a key proves [from, below); no `below` is a threshold,
 * "from or older"; a `below` makes it an age band). A site asks for [a, b):
 *
 * - b absent (a threshold ask): the lowest threshold with from >= a — never a band, which would tell the site an upper
 *   bound it did not ask for ("under 18" to a site that only asked "13 or older");
 * - b present (a band ask, a room for minors): the WIDEST band K with a <= K.from and K.below <= b — never a
 *   threshold (an adult's "13 or older" must not open a teens' room), never a band of one year (an exact age).
 *
 * Nothing fits: the wallet tells the person why (`whyNothingFits`), in words, and the site only "not proven".
 */

/** [from, below): below absent for a threshold. */
export interface Interval {
  readonly from: number;
  readonly below?: number | undefined;
}

/** A band narrower than this says an exact age, and is never presented. */
export const MIN_BAND_WIDTH = 2;

/** Whether `held` may answer a site that asked `asked` (before choosing the best of those that may). */
export function answers(asked: Interval, held: Interval): boolean {
  if (asked.below === undefined) return held.below === undefined && held.from >= asked.from;
  return (
    held.below !== undefined &&
    held.from >= asked.from &&
    held.below <= asked.below &&
    held.below - held.from >= MIN_BAND_WIDTH
  );
}

/**
 * Order of preference among intervals that answer `asked`: negative when `x` is better. Thresholds: the lowest.
 * Bands: the widest, then the lowest (a fixed order, so that the same wallet always answers the same way).
 */
export function preference(asked: Interval, x: Interval, y: Interval): number {
  if (asked.below === undefined) return x.from - y.from;
  const width = (i: Interval) => (i.below ?? Number.POSITIVE_INFINITY) - i.from;
  return width(y) - width(x) || x.from - y.from;
}

/** The interval to present for `asked` among `held` (undefined: none may answer). */
export function chooseInterval<T extends Interval>(asked: Interval, held: Iterable<T>): T | undefined {
  let best: T | undefined;
  for (const h of held) {
    if (!answers(asked, h)) continue;
    if (best === undefined || preference(asked, h, best) < 0) best = h;
  }
  return best;
}

/** Why nothing the person could hold answers `asked`, from their last age check [ageOver, ageBelow). */
export type Mismatch =
  /** The check says older than the band asked: an adult at a teens' room. */
  | "too-old"
  /** The check says younger than asked (a teen at an adult room, a child anywhere). */
  | "too-young"
  /** The check could fit, but does not say enough (a band asked, a check with no upper end or a wider one). */
  | "unknown";

export function whyNothingFits(asked: Interval, check: Interval): Mismatch {
  if (asked.below !== undefined && check.from >= asked.below) return "too-old";
  // a provider attests the highest threshold met: a check below the age asked means younger than it
  if (check.from < asked.from) return "too-young";
  return "unknown";
}

/** "13+" or "13–15" (inclusive upper end), for logs and tests. */
export function intervalText(i: Interval): string {
  return i.below === undefined ? `${i.from}+` : `${i.from}–${i.below - 1}`;
}
