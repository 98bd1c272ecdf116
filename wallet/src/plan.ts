/*
 * How a grant's tokens are spread over thresholds: every threshold the person meets gets tokens, so that a 13
 * gate gets a 13 token and never learns "over 18". The highest thresholds are served first when the grant allows
 * fewer tokens than thresholds.
 */

/** Tokens per threshold for a grant of `maxTokens` and the thresholds met, at most `perThreshold` each. */
export function planTokens(
  thresholds: readonly number[],
  maxTokens: number,
  perThreshold = 10,
): Map<number, number> {
  const sorted = [...new Set(thresholds)].sort((a, b) => b - a);
  const plan = new Map<number, number>();
  if (sorted.length === 0 || maxTokens <= 0) return plan;
  const each = Math.min(perThreshold, Math.max(1, Math.floor(maxTokens / sorted.length)));
  let left = maxTokens;
  for (const t of sorted) {
    if (left <= 0) break;
    const n = Math.min(each, left);
    plan.set(t, n);
    left -= n;
  }
  return plan;
}

/** The claims the wallet reads from a grant (it does not verify it: the gateway does). */
export function readGrant(grant: string): { ageOver: number; maxTokens: number } | undefined {
  const payload = grant.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
    const ageOver = json.age_over;
    const maxTokens = json.max_tokens;
    if (typeof ageOver !== "number" || typeof maxTokens !== "number") return undefined;
    return { ageOver, maxTokens };
  } catch {
    return undefined;
  }
}
