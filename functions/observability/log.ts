/*
 * Structured log lines. Callers pass codes, ids and counts, never tokens, grants, keys or addresses. Quiet when
 * BLINDGATE_QUIET=1 (tests, `npm start` without --verbose).
 */

/** One JSON log line. */
export function log(level: "info" | "warn" | "error", message: string, fields: Record<string, unknown> = {}) {
  if (process.env.BLINDGATE_QUIET === "1") return;
  console[level](JSON.stringify({ level, message, ...fields }));
}
