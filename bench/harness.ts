/**
 * Benchmark harness. Every figure is printed beside a baseline measured in the same run, with their ratio, because
 * the machines are noisy and only ratios travel between them. A figure and its baseline run in alternating rounds
 * (A B A B ...), the first round of each is a warm-up left out of every statistic, and the spread of the per-round
 * ratios (min/median/max) is printed beside the median, with PASS or FAIL against the figure's target.
 * Results are also written to bench/results.json.
 */
import { performance } from "node:perf_hooks";

export interface Rate {
  /** operations per second */
  readonly perSecond: number;
  readonly ops: number;
  readonly ms: number;
}

/** The spread of a statistic over rounds. */
export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export interface Figure {
  readonly suite: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: { readonly name: string; readonly value: number; readonly unit: string };
  readonly ratio?: number;
  /** Spread over rounds of the ratio (or of the value when there is no ratio). */
  readonly spread?: Spread;
  /**
   * The target, read by {@link meets}: "<op> <number>[x]" with op one of >=, <=, >, <, =; a trailing "x" compares
   * the ratio, anything else the value (">= 0.85x", ">= 1,000 tokens/s", "<= 40 ms", "= 1000 accepted").
   */
  readonly target?: string;
  /** PASS/FAIL against the target (filled in by report). */
  readonly pass?: boolean;
  /** Anything else worth printing beside the figure (gateway CPU per request, p99...). */
  readonly note?: string;
}

/**
 * Runs `op` (sync or async) repeatedly for at least `minMs` after a short warm-up, `concurrency` at a time, and
 * returns its rate.
 */
export async function rate(
  op: () => unknown,
  options: { minMs?: number; concurrency?: number; warmMs?: number } = {},
): Promise<Rate> {
  const minMs = options.minMs ?? 1000;
  const concurrency = options.concurrency ?? 1;
  const warmUntil = performance.now() + (options.warmMs ?? Math.min(200, minMs / 5));
  while (performance.now() < warmUntil) await op();
  let ops = 0;
  const start = performance.now();
  const deadline = start + minMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      await op();
      ops++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - start;
  return { perSecond: (ops * 1000) / ms, ops, ms };
}

/** What {@link compare} returns: medians over the measured rounds, and the spread of the per-round ratios. */
export interface Comparison {
  readonly candidate: number;
  readonly baseline: number;
  /** Median of the per-round ratios candidate/baseline. */
  readonly ratio: number;
  readonly spread: Spread;
  readonly candidateRounds: readonly number[];
  readonly baselineRounds: readonly number[];
}

/**
 * Measures a candidate and its baseline in alternating rounds (A B A B ...), after one warm-up round of each that
 * no statistic includes, and returns their median rates and the spread of the per-round ratios, so drift in
 * machine load hits both alike.
 */
export async function compare(
  candidate: () => unknown,
  baseline: () => unknown,
  options: { rounds?: number; roundMs?: number; concurrency?: number } = {},
): Promise<Comparison> {
  const rounds = options.rounds ?? 5;
  const opts = {
    minMs: options.roundMs ?? 400,
    warmMs: 0,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
  };
  return pairedRounds(rounds, async () => ({
    candidate: (await rate(candidate, opts)).perSecond,
    baseline: (await rate(baseline, opts)).perSecond,
  }));
}

/**
 * Runs `round` rounds + `warmUp` times (the first `warmUp` dropped: the JIT and connection pools settle) and pairs
 * candidate and baseline figures round by round. Both are "higher is better" (rates); for durations pass their
 * inverses or use {@link pairedDurations}.
 */
export async function pairedRounds(
  rounds: number,
  round: (index: number) => Promise<{ candidate: number; baseline: number }>,
  warmUp = 1,
): Promise<Comparison> {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds + warmUp; i++) {
    const r = await round(i);
    if (i < warmUp) continue;
    a.push(r.candidate);
    b.push(r.baseline);
  }
  const ratios = a.map((x, i) => x / b[i]!);
  return {
    candidate: median(a),
    baseline: median(b),
    ratio: median(ratios),
    spread: spreadOf(ratios),
    candidateRounds: a,
    baselineRounds: b,
  };
}

/**
 * Like {@link pairedRounds} for durations (ms, lower is better): the ratio is baseline/candidate, so 1x means the
 * candidate takes as long as its baseline and 0.5x twice as long.
 */
export async function pairedDurations(
  rounds: number,
  round: (index: number) => Promise<{ candidate: number; baseline: number }>,
): Promise<Comparison> {
  const r = await pairedRounds(rounds, async (i) => {
    const { candidate, baseline } = await round(i);
    return { candidate: 1 / candidate, baseline: 1 / baseline };
  });
  return {
    ...r,
    candidate: median(r.candidateRounds.map((x) => 1 / x)),
    baseline: median(r.baselineRounds.map((x) => 1 / x)),
    candidateRounds: r.candidateRounds.map((x) => 1 / x),
    baselineRounds: r.baselineRounds.map((x) => 1 / x),
  };
}

/** Median of a non-empty list of numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Min, median and max of a non-empty list. */
export function spreadOf(values: readonly number[]): Spread {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) };
}

/** Percentile (0..100) of a list of numbers, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((x, y) => x - y);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

/** Whether a figure meets its target string (see {@link Figure.target}); undefined when there is none to read. */
export function meets(figure: Pick<Figure, "value" | "ratio" | "target">): boolean | undefined {
  const m = /^\s*(>=|<=|>|<|==?)\s*([\d.,]+)\s*(x\b)?/.exec(figure.target ?? "");
  if (m === null) return undefined;
  const goal = Number(m[2]!.replace(/,/g, ""));
  const actual = m[3] === undefined ? figure.value : figure.ratio;
  if (actual === undefined || Number.isNaN(goal)) return undefined;
  switch (m[1]) {
    case ">=":
      return actual >= goal;
    case "<=":
      return actual <= goal;
    case ">":
      return actual > goal;
    case "<":
      return actual < goal;
    default:
      return actual === goal;
  }
}

const figures: Figure[] = [];

export function fmt(n: number): string {
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** How a bench script run by runBundled (http-load.ts) hands a figure to the bench's process: one stdout line. */
export const FIGURE_LINE = "@figure ";

/** Records and prints one figure, with its baseline, ratio, spread over rounds and PASS/FAIL when given. */
export function report(input: Figure): void {
  if (process.env.BENCH_FIGURES === "stdout") {
    console.log(`${FIGURE_LINE}${JSON.stringify(input)}`);
    return;
  }
  const pass = input.target === undefined ? undefined : meets(input);
  const figure: Figure = pass === undefined ? input : { ...input, pass };
  figures.push(figure);
  let line = `${figure.suite} | ${figure.name}: ${fmt(figure.value)} ${figure.unit}`;
  if (figure.baseline) {
    line += ` | baseline ${figure.baseline.name}: ${fmt(figure.baseline.value)} ${figure.baseline.unit}`;
  }
  if (figure.ratio !== undefined) line += ` | ratio ${figure.ratio.toFixed(2)}x`;
  if (figure.spread) {
    const s = figure.spread;
    const f = figure.ratio === undefined ? fmt : (n: number) => `${n.toFixed(2)}x`;
    line += ` (rounds min/med/max ${f(s.min)}/${f(s.median)}/${f(s.max)})`;
  }
  if (figure.note) line += ` | ${figure.note}`;
  if (figure.target)
    line += ` | target ${figure.target}${pass === undefined ? "" : pass ? " PASS" : " FAIL"}`;
  console.log(line);
}

export function allFigures(): readonly Figure[] {
  return figures;
}
