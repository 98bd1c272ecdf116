/**
 * System parameters of one ACT instance (draft-schlesinger-cfrg-act §"System Parameters"): the domain separator,
 * the credit bit length L and the generators H1..H4 from SetGenerators.
 */
import { ActError } from "./errors.js";
import { encodeElement, hashToGroup, Point } from "./group.js";

/** The largest L this implementation accepts: credits stay below 2^128 (ScalarToCredit's 16-byte integer). */
export const MAX_CREDIT_BITS = 128;

/** Parameters shared by the issuer and every client of one ACT instance. */
export interface ActParams {
  /** The domain separator, e.g. UTF-8 of "ACT-v1:blindgate:credits:production:2026-03-01". */
  readonly domainSeparator: Uint8Array;
  /** Bit length of credit amounts: balances, spends and refunds lie in [0, 2^L). */
  readonly L: number;
  readonly H1: Point;
  readonly H2: Point;
  readonly H3: Point;
  readonly H4: Point;
  /** -H1 and -H3, bases of the spend proof's credential-structure equation. */
  readonly negH1: Point;
  readonly negH3: Point;
  /** H3 * 2^j for j in [L] (the commitment-consistency equation's bases), computed once. */
  readonly H3Powers: readonly Point[];
  /** Cached encodings of the fixed elements, keyed by the point object. */
  readonly encoded: ReadonlyMap<Point, Uint8Array>;
}

const ascii = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/**
 * SetGenerators(G, domain_separator) with the suite's HashToGroup (DST = "HashToGroup-" || domain_separator).
 * Returns H1, H2, H3, H4, distinct from each other and from the generator.
 */
function setGenerators(domainSeparator: Uint8Array): [Point, Point, Point, Point] {
  const dst = concat(ascii("HashToGroup-"), domainSeparator);
  const G0 = Point.BASE;
  // 1.-3. G0 = G.Generator(); H1..H4 = G0; counter = 0
  for (let counter = 0; counter < 256; counter++) {
    // 5. ctr = I2OSP(counter, 1)
    const ctr = new Uint8Array([counter]);
    // 6.-9. Hi = G.HashToGroup("GenHi" || ctr || domain_separator)
    const hs = ["GenH1", "GenH2", "GenH3", "GenH4"].map((label) =>
      hashToGroup(concat(ascii(label), ctr, domainSeparator), dst),
    ) as [Point, Point, Point, Point];
    // 4. while len({G0, H1, H2, H3, H4}) < 5
    const all = [G0, ...hs];
    const distinct = all.every((p, i) => all.every((q, j) => i === j || !p.equals(q)));
    if (distinct) return hs;
  }
  throw new ActError("ERR_ACT_PARAMS", "SetGenerators found no distinct generators");
}

/**
 * Parameters for a domain separator (SHOULD be "ACT-v1:org:service:deployment:YYYY-MM-DD") and a credit bit
 * length L in 1..128. Computing them hashes to the curve four times: make them once per key, not per request.
 *
 * @example
 * ```ts
 * const params = actParams("ACT-v1:blindgate:credits:production:2026-03-01", 8);
 * ```
 */
export function actParams(domainSeparator: string | Uint8Array, L: number): ActParams {
  const ds = typeof domainSeparator === "string" ? ascii(domainSeparator) : Uint8Array.from(domainSeparator);
  if (ds.length === 0) throw new ActError("ERR_ACT_PARAMS", "empty domain separator");
  if (!Number.isInteger(L) || L < 1 || L > MAX_CREDIT_BITS) {
    throw new ActError("ERR_ACT_PARAMS", `L must be an integer in 1..${MAX_CREDIT_BITS}`);
  }
  const [H1, H2, H3, H4] = setGenerators(ds);
  // Fixed-base tables: every multiplication by a generator is a table walk after this.
  for (const h of [H1, H2, H3, H4]) h.precompute(8, false);
  const H3Powers: Point[] = [H3];
  for (let j = 1; j < L; j++) H3Powers.push(H3Powers[j - 1]!.double());
  const negH1 = H1.negate();
  const negH3 = H3.negate();
  const encoded = new Map<Point, Uint8Array>();
  for (const p of [Point.BASE, H1, H2, H3, H4, negH1, negH3, ...H3Powers]) encoded.set(p, encodeElement(p));
  return Object.freeze({ domainSeparator: ds, L, H1, H2, H3, H4, negH1, negH3, H3Powers, encoded });
}
