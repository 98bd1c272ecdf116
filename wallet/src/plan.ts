import type { StoredToken } from "./store.js";

/*
 * The wallet's decisions, as pure functions (tested without a browser):
 * - how a grant's tokens are spread over thresholds (every threshold met gets tokens, so that a 13 gate gets a 13
 *   token and never learns "over 18");
 * - which token answers a request: never more than asked. The token of the lowest threshold that
 *   meets the request; when only higher ones are left, the wallet asks the person before revealing more, and the
 *   default answer is no;
 * - what a site's reported outcome means for the token handed to it.
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
export function readGrant(
  grant: string,
): { ageOver: number; ageBelow?: number; belowUntil?: number; maxTokens: number } | undefined {
  const payload = grant.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
    const ageOver = json.age_over;
    const maxTokens = json.max_tokens;
    if (typeof ageOver !== "number" || typeof maxTokens !== "number") return undefined;
    const ageBelow = json.age_below;
    const belowUntil = json.below_until;
    return {
      ageOver,
      maxTokens,
      ...(typeof ageBelow === "number" ? { ageBelow } : {}),
      ...(typeof belowUntil === "number" ? { belowUntil } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * The threshold that answers `minAge` exactly: the lowest threshold the gateway has keys for that is >= minAge
 * (a request for 17 is answered "over 18"). `minAge` itself when the gateway has none above it.
 */
export function wantedThreshold(minAge: number, thresholds: Iterable<number>): number {
  let best: number | undefined;
  for (const t of thresholds) if (t >= minAge && (best === undefined || t < best)) best = t;
  return best ?? minAge;
}

/** How the wallet can answer a request. */
export type ProofPlan =
  /** A token of the wanted threshold: send it after the person confirms. */
  | { kind: "exact"; token: StoredToken }
  /** Only higher tokens are left: reveal `token.threshold` only if the person says so (default no). */
  | { kind: "higher"; token: StoredToken; wanted: number }
  /** No token reaches the request. */
  | { kind: "none"; wanted: number };

/**
 * Plan the answer to `origin`'s request for `minAge` with the tokens `usable` accepts. A token held for another
 * origin is never used; one held for this origin (its proof failed there) is used first.
 */
export function planProof(
  tokens: readonly StoredToken[],
  request: { minAge: number; origin: string },
  thresholds: Iterable<number>,
  usable: (t: StoredToken) => boolean,
): ProofPlan {
  const wanted = wantedThreshold(request.minAge, thresholds);
  const candidates = tokens
    .filter((t) => t.below === undefined) // a band token never answers a threshold ask
    .filter((t) => t.threshold >= request.minAge && usable(t))
    .filter((t) => t.heldFor === undefined || t.heldFor === request.origin)
    .sort(
      (a, b) =>
        a.threshold - b.threshold ||
        Number(b.heldFor === request.origin) - Number(a.heldFor === request.origin) ||
        a.notAfter - b.notAfter,
    );
  const token = candidates[0];
  if (token === undefined) return { kind: "none", wanted };
  if (token.threshold <= wanted) return { kind: "exact", token };
  return { kind: "higher", token, wanted };
}

/**
 * The seam for refills: before a higher token is offered, the wallet asks its token supply for
 * tokens of the wanted threshold. Credit refills (ACT) will plug in here; until then there is no supply, and the
 * person is asked before revealing more.
 */
export interface TokenSupply {
  /** Get fresh tokens of `threshold` (stored by the supply); true when some were added. */
  refill(threshold: number): Promise<boolean>;
}

/** No refills yet: a higher token is offered only with the person's consent. */
export const NO_SUPPLY: TokenSupply = { refill: async () => false };

/**
 * The site's codes after which a token handed to it is of no use to anyone: spent, or refused on its merits.
 * Any other failure (the site or its gateway down, a network error, a malformed post) leaves the token unspent: it
 * is kept for that site and offered to it again.
 */
const DEAD_TOKEN_CODES = new Set([
  "TOKEN_REJECTED",
  "INVALID_TOKEN",
  "MALFORMED_TOKEN",
  "UNKNOWN_KEY",
  "KEY_EXPIRED",
  "KEY_NOT_ANNOUNCED",
]);

/** What to do with a held token once the site reported: forget it (accepted or dead) or keep it for that site. */
export function afterOutcome(outcome: { ok: boolean; code?: string | undefined }): "forget" | "keep" {
  if (outcome.ok) return "forget";
  // the site SDK's codes carry an ERR_ prefix since 0.2; earlier sites answer without it
  const code = outcome.code?.replace(/^ERR_/, "");
  return code !== undefined && DEAD_TOKEN_CODES.has(code) ? "forget" : "keep";
}
