import type { AgeInterval } from "../protocol/index.js";
import { GateError } from "./errors.js";

/*
 * What a gate asks for: an age interval [from, below) (sdk/src/protocol/age-interval.ts) — a threshold ("18 or
 * over") has no `below`, a band ("13 to 17") has one, exclusive. A token, a key and an age session prove an interval too, and a proof opens a gate when
 * what it proves lies inside what the gate asks: an 18+ token opens a 13+ gate, a 13–15 token opens a 13–17 gate,
 * and nothing that holds adults (a threshold, or a band reaching 18) opens a 13–17 gate.
 */

/** An age interval [from, below) as the gate speaks it: the protocol's {@link AgeInterval}. */
export type GateInterval = AgeInterval;

/**
 * What `gate.require()` takes: an age (a threshold) or an interval, `below` exclusive.
 *
 * @example
 * ```ts
 * const adults: AgeRequirement = 18;
 * const teens: AgeRequirement = { from: 13, below: 18 }; // 13 to 17
 * ```
 */
export type AgeRequirement = number | { readonly from: number; readonly below?: number | undefined };

/**
 * The interval of a requirement, checked. Throws GateError("ERR_CONFIG") naming what is wrong.
 *
 * @example
 * ```ts
 * requirementInterval(18); // { from: 18 }
 * requirementInterval({ from: 13, below: 18 }); // { from: 13, below: 18 }
 * ```
 */
export function requirementInterval(requirement: AgeRequirement, name = "age"): GateInterval {
  const { from, below } =
    typeof requirement === "number" ? { from: requirement, below: undefined } : requirement;
  if (!Number.isInteger(from) || from < 1 || from > 150) {
    throw new GateError("ERR_CONFIG", `${name}: the lower age must be an integer in 1..150`);
  }
  if (below === undefined) return { from };
  if (!Number.isInteger(below) || below <= from || below > 150) {
    throw new GateError(
      "ERR_CONFIG",
      `${name}: the upper age (exclusive) must be an integer above the lower one, at most 150`,
    );
  }
  return { from, below };
}
