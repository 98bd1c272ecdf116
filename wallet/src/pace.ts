/*
 * Consent pacing: a site that asks again right after an answer waits before the person is asked again. A page can
 * open the wallet again and again while the person clicks where Confirm appears (a game, a "click fast" prize), and
 * each Confirm it catches is a token that works at any site. So each answer to an origin is remembered for a
 * minute, and a new request from that origin inside that minute is shown only PACE_BASE_MS after the answer, then
 * twice that after the next quick request, and so on up to PACE_MAX_MS. A person going from a lobby to a room of the
 * same site seconds later hardly notices (the first wait ends 5 s after the first answer); a page that asks in a
 * loop gets a handful of asks a minute instead of dozens.
 *
 * What is kept, and for how long: the origin, the time of its last answer and the count of quick asks, dropped a
 * minute after that answer (PACE_MEMORY_MS) — never a history of sites.
 */

/** The wait after an answer before the same origin's next request is shown (first quick request). */
export const PACE_BASE_MS = 5_000;
/** The longest wait. */
export const PACE_MAX_MS = 60_000;
/** How long an answer to an origin is remembered: a request after that is not "again". */
export const PACE_MEMORY_MS = 60_000;

/** The last answer the wallet gave an origin, and how many quick asks led to it. */
export interface PaceEntry {
  origin: string;
  /** Epoch ms of the answer. */
  at: number;
  /** Requests in a row that came within PACE_MEMORY_MS of the previous answer. */
  strikes: number;
}

/** What the wallet remembers: recent answers by origin, and the layout of the last consent view. */
export interface Pace {
  answers: PaceEntry[];
  /** 0 or 1: which of the two layouts of the consent view was shown last (the next one shows the other). */
  layout: number;
}

export const NO_PACE: Pace = { answers: [], layout: 0 };

/** Answers still remembered at `nowMs`. */
export function livePace(pace: Pace, nowMs: number): Pace {
  return { ...pace, answers: pace.answers.filter((a) => nowMs - a.at < PACE_MEMORY_MS && a.at <= nowMs) };
}

/**
 * A request from `origin` at `nowMs`: how many quick asks in a row it makes (0: not a quick one), and the epoch ms
 * before which the person must not be asked (`nowMs` when there is nothing to wait for).
 */
export function paceRequest(
  pace: Pace,
  origin: string,
  nowMs: number,
): { strikes: number; notBefore: number } {
  const last = livePace(pace, nowMs).answers.find((a) => a.origin === origin);
  if (last === undefined) return { strikes: 0, notBefore: nowMs };
  const strikes = last.strikes + 1;
  const wait = Math.min(PACE_MAX_MS, PACE_BASE_MS * 2 ** Math.min(strikes - 1, 16));
  return { strikes, notBefore: Math.max(nowMs, last.at + wait) };
}

/** Remember an answer to `origin` at `nowMs` (replacing the previous one of that origin). */
export function recordAnswer(pace: Pace, origin: string, strikes: number, nowMs: number): Pace {
  const live = livePace(pace, nowMs);
  return {
    ...live,
    answers: [...live.answers.filter((a) => a.origin !== origin), { origin, at: nowMs, strikes }],
  };
}
