/**
 * LinearRelation (draft-irtf-cfrg-sigma-protocols §2.2) as ACT uses it: scalar variables, group-element slots and
 * equations `image = Σ scalar_var * element`, with the canonical instance label that the Fiat-Shamir transform
 * absorbs. Equations and terms keep the order in which they are appended, as the draft's steps build them.
 */
import { ActError } from "./errors.js";
import { encodeElement, type Point } from "./group.js";

/** One equation: the element index of its left-hand side and its (scalar var, element index) terms. */
export interface Equation {
  readonly image: number;
  readonly terms: readonly (readonly [scalar: number, element: number])[];
}

const u32le = (out: Uint8Array, offset: number, v: number) => {
  out[offset] = v & 0xff;
  out[offset + 1] = (v >>> 8) & 0xff;
  out[offset + 2] = (v >>> 16) & 0xff;
  out[offset + 3] = (v >>> 24) & 0xff;
};

/** A statement under construction; `encodings` may carry known encodings of some elements (fixed generators). */
export class LinearRelation {
  readonly elements: Point[] = [];
  readonly equations: Equation[] = [];
  numScalars = 0;

  constructor(private readonly encodings: ReadonlyMap<Point, Uint8Array> = new Map()) {}

  /** allocate_scalars(n): indices of n new witness variables. */
  allocateScalars(n: number): number[] {
    const start = this.numScalars;
    this.numScalars += n;
    return Array.from({ length: n }, (_, i) => start + i);
  }

  /** allocate_elements + set_elements in one step: the index of a new slot holding `p`. */
  element(p: Point): number {
    this.elements.push(p);
    return this.elements.length - 1;
  }

  /** append_equation(image, terms). */
  appendEquation(image: number, terms: readonly (readonly [number, number])[]): void {
    this.equations.push({ image, terms });
  }

  /**
   * The canonical instance label: u32le(#equations), then per equation u32le(image index), u32le(#terms) and
   * u32le(scalar var), u32le(element index) per term, then the canonical elements' encodings. Canonical element
   * indices are given in equation order: each equation's right-hand elements first (one index per allocated slot,
   * reused when the slot recurs), then its image (always a fresh index).
   */
  instanceLabel(): Uint8Array {
    const canon: Point[] = [];
    const rhsIndex = new Map<number, number>();
    const eqs: { image: number; terms: [number, number][] }[] = [];
    for (const eq of this.equations) {
      const terms: [number, number][] = eq.terms.map(([s, e]) => {
        let c = rhsIndex.get(e);
        if (c === undefined) {
          c = canon.length;
          canon.push(this.slot(e));
          rhsIndex.set(e, c);
        }
        return [s, c];
      });
      canon.push(this.slot(eq.image));
      eqs.push({ image: canon.length - 1, terms });
    }
    const structLength = 4 + eqs.reduce((n, e) => n + 8 + 8 * e.terms.length, 0);
    const out = new Uint8Array(structLength + 32 * canon.length);
    let o = 0;
    u32le(out, o, eqs.length);
    o += 4;
    for (const eq of eqs) {
      u32le(out, o, eq.image);
      u32le(out, o + 4, eq.terms.length);
      o += 8;
      for (const [s, e] of eq.terms) {
        u32le(out, o, s);
        u32le(out, o + 4, e);
        o += 8;
      }
    }
    const cache = new Map<Point, Uint8Array>();
    for (const p of canon) {
      let bytes = this.encodings.get(p) ?? cache.get(p);
      if (bytes === undefined) {
        bytes = encodeElement(p);
        cache.set(p, bytes);
      }
      out.set(bytes, o);
      o += 32;
    }
    return out;
  }

  private slot(index: number): Point {
    const p = this.elements[index];
    if (p === undefined) throw new ActError("ERR_ACT_PARAMS", `relation: no element at index ${index}`);
    return p;
  }
}

/**
 * append_pedersen(statement, P, Q, R): knowledge of (k0, k1) with R = k0*P + k1*Q.
 * Scalar variables k0, k1 are allocated in that order.
 */
export function appendPedersen(statement: LinearRelation, P: Point, Q: Point, R: Point): void {
  // 1. k0_var, k1_var = statement.allocate_scalars(2)
  const [k0, k1] = statement.allocateScalars(2) as [number, number];
  // 2. and 4. P_var, Q_var, R_var = statement.allocate_elements(3); set_elements
  const [p, q, r] = [statement.element(P), statement.element(Q), statement.element(R)];
  // 3. statement.append_equation(R_var, [(k0_var, P_var), (k1_var, Q_var)])
  statement.appendEquation(r, [
    [k0, p],
    [k1, q],
  ]);
}

/** append_dleq(statement, P, Q, X, Y): knowledge of k with X = k*P and Y = k*Q. */
export function appendDleq(statement: LinearRelation, P: Point, Q: Point, X: Point, Y: Point): void {
  // 1. k_var = statement.allocate_scalars(1)
  const [k] = statement.allocateScalars(1) as [number];
  // 2. and 5. P_var, Q_var, X_var, Y_var = statement.allocate_elements(4); set_elements
  const [p, q, x, y] = [
    statement.element(P),
    statement.element(Q),
    statement.element(X),
    statement.element(Y),
  ];
  // 3. statement.append_equation(X_var, [(k_var, P_var)])
  statement.appendEquation(x, [[k, p]]);
  // 4. statement.append_equation(Y_var, [(k_var, Q_var)])
  statement.appendEquation(y, [[k, q]]);
}
