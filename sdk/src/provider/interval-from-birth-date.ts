import { type AgeInterval, DEFAULT_BANDS, DEFAULT_THRESHOLDS } from "../protocol/index.js";
import { ProviderError } from "./errors.js";
import { BELOW_UNTIL_UNIT_SECONDS } from "./sign-grant.js";

/*
 * From a birth date the provider has checked to the claims of a grant: the highest threshold met (age_over) and,
 * for a minor, the band's upper end (age_below) with the instant before which the person is surely below it
 * (below_until). The birth date itself never leaves the provider.
 *
 * "Surely" covers every time zone: a person turns N at local midnight of their birthday, which is between 14 hours
 * before and 12 hours after 00:00 UTC of that date. So age_over counts a birthday only 12 hours after its UTC
 * midnight, and below_until ends one whole day before the UTC midnight of the birthday that leaves the band.
 *
 * below_until is coarsened twice, so the gateway learns as little as the key schedule needs:
 *   - floored to a grid of `granularityDays` (default 1: a day; 7 shows the gateway only the birth week, at the
 *     cost of up to 6 more days without band tokens before the birthday);
 *   - capped at `horizonDays` after today (default 35, above the longest life of a band credential): for anyone
 *     whose birthday is further off, below_until is the same value as for every other teen verified that day, so
 *     the gateway learns "not within 35 days", nothing more.
 * When below_until would not be in the future (the birthday is a day or two away), no band is stated: the grant
 * proves the threshold alone, and the person is without band tokens until the birthday (docs/threat-model.md).
 */

/** Options of {@link intervalFromBirthDate}. */
export interface IntervalOptions {
  /** Thresholds the gateway has keys for (default 13, 15, 16, 18, 21). */
  thresholds?: readonly number[];
  /** Bands the gateway has keys for; their upper ends are the age_below values (default 13–15, 16–17, 13–17). */
  bands?: readonly AgeInterval[];
  /** Grid below_until is floored to, in days (default 1). */
  granularityDays?: number;
  /** Latest below_until, in days after today (default 35). */
  horizonDays?: number;
}

/** The age claims of a grant, as {@link signGrant} takes them. */
export interface GrantInterval {
  ageOver: number;
  ageBelow?: number;
  belowUntil?: number;
}

const DAY = 86_400;
const HALF_DAY = 43_200;

/**
 * The grant claims for a person born on `birthDate` ("YYYY-MM-DD", as on the checked document), at `now`. Throws
 * ProviderError("INVALID_GRANT_INPUT") naming the field when the date is not a real past date or an option is out of
 * range, and ProviderError("NO_THRESHOLD_MET") when the person is younger than every threshold (sign no grant: the
 * wallet tells them, the site learns only "not proven").
 *
 * @example
 * ```ts
 * const interval = intervalFromBirthDate("2011-05-20", new Date());
 * // a 15-year-old: { ageOver: 15, ageBelow: 16, belowUntil: <a UTC midnight before their 16th birthday> }
 * const grant = await signGrant(key, { issuer, providerId, maxTokens: 40, ...interval });
 * ```
 */
export function intervalFromBirthDate(
  birthDate: string,
  now: Date,
  options: IntervalOptions = {},
): GrantInterval {
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  const bands = options.bands ?? DEFAULT_BANDS;
  const granularity = options.granularityDays ?? 1;
  const horizon = options.horizonDays ?? 35;
  if (!Number.isInteger(granularity) || granularity < 1 || granularity > 366) {
    throw new ProviderError(
      "INVALID_GRANT_INPUT",
      "intervalFromBirthDate: granularityDays must be an integer 1..366",
    );
  }
  if (!Number.isInteger(horizon) || horizon < 1 || horizon > 3660) {
    throw new ProviderError(
      "INVALID_GRANT_INPUT",
      "intervalFromBirthDate: horizonDays must be an integer 1..3660",
    );
  }
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (!Number.isFinite(nowSeconds)) {
    throw new ProviderError("INVALID_GRANT_INPUT", "intervalFromBirthDate: now must be a valid Date");
  }
  const birth = parseBirthDate(birthDate);
  if (birth === undefined || utcMidnight(birth.year, birth.month, birth.day) > nowSeconds) {
    throw new ProviderError(
      "INVALID_GRANT_INPUT",
      'intervalFromBirthDate: birthDate must be a past date "YYYY-MM-DD"',
    );
  }
  const age = completedYears(birth, nowSeconds - HALF_DAY);
  const ageOver = Math.max(0, ...thresholds.filter((t) => t <= age));
  if (ageOver === 0) {
    throw new ProviderError(
      "NO_THRESHOLD_MET",
      "intervalFromBirthDate: the person is younger than every threshold",
    );
  }
  const uppers = bands.map((b) => b.below).filter((b): b is number => b !== undefined && b > age);
  if (uppers.length === 0) return { ageOver };
  const ageBelow = Math.min(...uppers);
  // Surely below ageBelow until 14 hours before the birthday's UTC midnight: a whole day earlier, floored.
  const leaves = birthday(birth, birth.year + ageBelow) - DAY;
  const cap = Math.floor(nowSeconds / DAY) * DAY + horizon * DAY;
  const grid = granularity * DAY;
  const belowUntil = Math.floor(Math.min(leaves, cap) / grid) * grid;
  if (belowUntil <= nowSeconds) return { ageOver };
  // Always true by construction; asserted because signGrant refuses anything else.
  if (belowUntil % BELOW_UNTIL_UNIT_SECONDS !== 0) throw new RangeError("below_until off the day grid");
  return { ageOver, ageBelow, belowUntil };
}

interface BirthDate {
  year: number;
  month: number; // 1..12
  day: number;
}

function parseBirthDate(text: string): BirthDate | undefined {
  if (typeof text !== "string") return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1800 || month < 1 || month > 12 || day < 1) return undefined;
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  return { year, month, day };
}

function utcMidnight(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / 1000;
}

/** 00:00 UTC of the person's birthday in `year`; a 29 February birthday falls on 28 February in other years. */
function birthday(b: BirthDate, year: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const day = b.month === 2 && b.day === 29 && !leap ? 28 : b.day;
  return utcMidnight(year, b.month, day);
}

/** Whole years completed at `instant` (UNIX seconds), by UTC dates. */
function completedYears(b: BirthDate, instant: number): number {
  const at = new Date(instant * 1000);
  const year = at.getUTCFullYear();
  return birthday(b, year) <= instant ? year - b.year : year - b.year - 1;
}
