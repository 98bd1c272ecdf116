/**
 * NISigmaProtocol of ACT(ristretto255, SHAKE128): the Schnorr proof of a {@link LinearRelation} made
 * non-interactive with the Fiat-Shamir transform of draft-irtf-cfrg-fiat-shamir over a SHAKE128 duplex sponge.
 *
 *   sponge  = SHAKE128(pad168(protocol_id) || session_id64 || instance_label || Encode(T_0) || ... )
 *   session_id64 = 0^32 || SHAKE128(pad168("fiat-shamir/session-id") || session)[0..32]
 *   challenge = OS2IP(squeeze(Ns + 16)) mod q
 *   proof   = Encode(challenge) || Encode(z_0) || ... || Encode(z_{n-1}),  z_i = nonce_i + challenge * w_i
 */
import { mulAddUnsafe } from "@noble/curves/abstract/curve.js";
import { shake128 } from "@noble/hashes/sha3.js";
import { ActError } from "./errors.js";
import { decodeScalar, encodeElement, encodeScalar, Fn, mulSecret, Point, SCALAR_LENGTH } from "./group.js";
import type { ScalarSource } from "./random.js";
import type { LinearRelation } from "./relation.js";

const RATE = 168;
const ascii = (s: string) => new TextEncoder().encode(s);
const padded = (label: string, length: number) => {
  const out = new Uint8Array(length);
  out.set(ascii(label));
  return out;
};

/** The protocol identifier (64 bytes): the sigma-proofs default, as used by the published ACT vectors. */
export const PROTOCOL_ID = padded("ietf sigma proof linear relation", 64);
const SESSION_IV = padded("fiat-shamir/session-id", RATE);

/** How the prover and verifier may evaluate terms faster without changing their value. */
export interface Bases {
  /** Elements known as `factor * base` (H3 * 2^j), evaluated as one multiplication of `base`. */
  readonly multiples: ReadonlyMap<Point, readonly [base: Point, factor: bigint]>;
  /** Elements with precomputed tables: multiplied on their own, never folded into a multi-scalar product. */
  readonly fixed: ReadonlySet<Point>;
}

/** A challenge-response proof. */
export interface SigmaProof {
  readonly challenge: bigint;
  readonly responses: readonly bigint[];
}

function sessionId(session: Uint8Array): Uint8Array {
  const h = shake128.create({});
  h.update(SESSION_IV);
  h.update(session);
  const out = new Uint8Array(64);
  out.set(h.xof(32), 32);
  return out;
}

function challengeOf(relation: LinearRelation, session: Uint8Array, commitments: readonly Point[]): bigint {
  const h = shake128.create({});
  const iv = new Uint8Array(RATE);
  iv.set(PROTOCOL_ID);
  h.update(iv);
  h.update(sessionId(session));
  h.update(relation.instanceLabel());
  for (const t of commitments) h.update(encodeElement(t));
  const bytes = h.xof(SCALAR_LENGTH + 16);
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return Fn.create(v);
}

/** Terms of one equation with equal bases merged and known multiples folded into their base. */
function grouped(
  relation: LinearRelation,
  terms: readonly (readonly [number, number])[],
  scalarOf: (s: number) => bigint,
  bases: Bases,
): Map<Point, bigint> {
  const out = new Map<Point, bigint>();
  for (const [s, e] of terms) {
    let p = relation.elements[e]!;
    let k = scalarOf(s);
    const multiple = bases.multiples.get(p);
    if (multiple) {
      p = multiple[0];
      k = Fn.mul(k, multiple[1]);
    }
    out.set(p, Fn.add(out.get(p) ?? 0n, k));
  }
  return out;
}

/**
 * prover.prove(witness, rng): one nonce per scalar variable from `rng`, commitments T_i with constant-time
 * multiplications, the challenge from the sponge, and the responses.
 */
export function prove(
  relation: LinearRelation,
  session: Uint8Array,
  witness: readonly bigint[],
  rng: ScalarSource,
  bases: Bases,
): SigmaProof {
  if (witness.length !== relation.numScalars) {
    throw new ActError("ERR_ACT_PARAMS", "witness length does not match the relation");
  }
  const nonces = witness.map(() => rng.randomScalar());
  const commitments = relation.equations.map((eq) => {
    let t = Point.ZERO;
    for (const [p, k] of grouped(relation, eq.terms, (s) => nonces[s]!, bases)) t = t.add(mulSecret(p, k));
    return t;
  });
  const challenge = challengeOf(relation, session, commitments);
  const responses = nonces.map((r, i) => Fn.add(r, Fn.mul(challenge, witness[i]!)));
  return { challenge, responses };
}

/**
 * verifier.verify(proof): T_i = Σ z_s * P_e - challenge * image_i (public values: variable-time multi-scalar
 * multiplication), then the challenge recomputed from the sponge must equal the proof's.
 */
export function verify(
  relation: LinearRelation,
  session: Uint8Array,
  proof: SigmaProof,
  bases: Bases,
): boolean {
  if (proof.responses.length !== relation.numScalars) return false;
  const minusC = Fn.neg(proof.challenge);
  const commitments = relation.equations.map((eq) => {
    const terms = grouped(relation, eq.terms, (s) => proof.responses[s]!, bases);
    const image = relation.elements[eq.image]!;
    terms.set(image, Fn.add(terms.get(image) ?? 0n, minusC));
    let t = Point.ZERO;
    const points: Point[] = [];
    const scalars: bigint[] = [];
    for (const [p, k] of terms) {
      if (k === 0n) continue;
      if (bases.fixed.has(p)) t = t.add(p.multiplyUnsafe(k));
      else {
        points.push(p);
        scalars.push(k);
      }
    }
    if (points.length === 1) t = t.add(points[0]!.multiplyUnsafe(scalars[0]!));
    else if (points.length > 1) t = t.add(mulAddUnsafe(Point, points, scalars));
    return t;
  });
  return Fn.eql(challengeOf(relation, session, commitments), proof.challenge);
}

/** Encode(challenge) || Encode(responses...): (1 + n) * Ns bytes. */
export function encodeSigmaProof(proof: SigmaProof): Uint8Array {
  const out = new Uint8Array(SCALAR_LENGTH * (1 + proof.responses.length));
  out.set(encodeScalar(proof.challenge), 0);
  proof.responses.forEach((z, i) => {
    out.set(encodeScalar(z), SCALAR_LENGTH * (1 + i));
  });
  return out;
}

/** Parses a proof of `numScalars` responses; every scalar must be canonical. */
export function decodeSigmaProof(bytes: Uint8Array, numScalars: number, what: string): SigmaProof {
  if (bytes.length !== SCALAR_LENGTH * (1 + numScalars)) {
    throw new ActError("ERR_ACT_DECODE", `${what}: proof must hold ${1 + numScalars} scalars`);
  }
  const at = (i: number) => decodeScalar(bytes.subarray(SCALAR_LENGTH * i, SCALAR_LENGTH * (i + 1)), what);
  return { challenge: at(0), responses: Array.from({ length: numScalars }, (_, i) => at(1 + i)) };
}

const basesCache = new WeakMap<object, Bases>();

/** The evaluation hints of a parameter set: H3 * 2^j as multiples of H3; G and H1..H4 have tables. */
export function basesFor(params: {
  readonly negH1: Point;
  readonly negH3: Point;
  readonly H1: Point;
  readonly H2: Point;
  readonly H3: Point;
  readonly H4: Point;
  readonly H3Powers: readonly Point[];
}): Bases {
  let b = basesCache.get(params);
  if (!b) {
    const multiples = new Map<Point, readonly [Point, bigint]>();
    params.H3Powers.forEach((p, j) => {
      if (j > 0) multiples.set(p, [params.H3, 1n << BigInt(j)]);
    });
    multiples.set(params.negH1, [params.H1, Fn.neg(1n)]);
    multiples.set(params.negH3, [params.H3, Fn.neg(1n)]);
    b = { multiples, fixed: new Set([Point.BASE, params.H1, params.H2, params.H3, params.H4]) };
    basesCache.set(params, b);
  }
  return b;
}
