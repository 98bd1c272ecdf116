/**
 * Benchmark harness. Every figure is printed beside a baseline measured in the same run, with their ratio, because
 * the machines are noisy and only ratios travel between them. Results are also written to bench/results.json.
 */
import { performance } from "node:perf_hooks";

export interface Rate {
  /** operations per second */
  readonly perSecond: number;
  readonly ops: number;
  readonly ms: number;
}

export interface Figure {
  readonly suite: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: { readonly name: string; readonly value: number; readonly unit: string };
  readonly ratio?: number;
  readonly target?: string;
}

/**
 * Runs `op` (sync or async) repeatedly for at least `minMs` after a warm-up, `concurrency` at a time, and returns
 * its rate. Interleave rounds of a figure and its baseline with `compare` rather than measuring them far apart.
 */
export async function rate(
  op: () => unknown,
  options: { minMs?: number; concurrency?: number } = {},
): Promise<Rate> {
  const minMs = options.minMs ?? 1000;
  const concurrency = options.concurrency ?? 1;
  const warmUntil = performance.now() + Math.min(200, minMs / 5);
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

/**
 * Measures a candidate and its baseline in alternating rounds (A B A B ...) and returns the median-of-rounds rate
 * of each, so drift in machine load hits both alike.
 */
export async function compare(
  candidate: () => unknown,
  baseline: () => unknown,
  options: { rounds?: number; roundMs?: number; concurrency?: number } = {},
): Promise<{ candidate: number; baseline: number; ratio: number }> {
  const rounds = options.rounds ?? 5;
  const roundMs = options.roundMs ?? 400;
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const opts = { minMs: roundMs, ...(options.concurrency ? { concurrency: options.concurrency } : {}) };
    a.push((await rate(candidate, opts)).perSecond);
    b.push((await rate(baseline, opts)).perSecond);
  }
  const c = median(a);
  const base = median(b);
  return { candidate: c, baseline: base, ratio: c / base };
}

/** Median of a non-empty list of numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Percentile (0..100) of a list of numbers, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((x, y) => x - y);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

const figures: Figure[] = [];

function fmt(n: number): string {
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** Records and prints one figure, with its baseline and ratio when given. */
export function report(figure: Figure): void {
  figures.push(figure);
  let line = `${figure.suite} | ${figure.name}: ${fmt(figure.value)} ${figure.unit}`;
  if (figure.baseline) {
    line += ` | baseline ${figure.baseline.name}: ${fmt(figure.baseline.value)} ${figure.baseline.unit}`;
  }
  if (figure.ratio !== undefined) line += ` | ratio ${figure.ratio.toFixed(2)}x`;
  if (figure.target) line += ` | target ${figure.target}`;
  console.log(line);
}

export function allFigures(): readonly Figure[] {
  return figures;
}
