/**
 * The ristretto255 group of ACT(ristretto255, SHAKE128) on @noble/curves: element and scalar encodings
 * (draft-schlesinger-cfrg-act §"ACT(ristretto255, SHAKE128)") and the multiplications the protocol needs.
 * Secret scalars go through `multiply` (constant time); public ones may use multi-scalar multiplication.
 */
import { pippenger } from "@noble/curves/abstract/curve.js";
import { ristretto255, ristretto255_hasher } from "@noble/curves/ed25519.js";
import { ActError } from "./errors.js";

/** The ristretto255 point class. */
export const Point: typeof ristretto255.Point = ristretto255.Point;
/** A ristretto255 group element. */
export type Point = InstanceType<typeof ristretto255.Point>;
/** The scalar field of ristretto255 (integers modulo the group order q). */
export const Fn = ristretto255.Point.Fn;
/** The group order q = 2^252 + 27742317777372353535851937790883648493. */
export const ORDER: bigint = Fn.ORDER;
/** Ne: bytes of an encoded element. */
export const ELEMENT_LENGTH = 32;
/** Ns: bytes of an encoded scalar. */
export const SCALAR_LENGTH = 32;

/** SerializeScalar: 32 bytes, little-endian. */
export function encodeScalar(s: bigint): Uint8Array {
  return Fn.toBytes(s);
}

/** DeserializeScalar: 32 little-endian bytes of an integer below q; anything else is an ActError. */
export function decodeScalar(bytes: Uint8Array, what: string): bigint {
  if (bytes.length !== SCALAR_LENGTH)
    throw new ActError("ERR_ACT_DECODE", `${what}: scalar must be 32 bytes`);
  let v = 0n;
  for (let i = SCALAR_LENGTH - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (v >= ORDER) throw new ActError("ERR_ACT_DECODE", `${what}: scalar is not reduced`);
  return v;
}

/** SerializeElement: the RFC 9496 encoding (32 bytes). */
export function encodeElement(p: Point): Uint8Array {
  return p.toBytes();
}

/**
 * DeserializeElement: RFC 9496 decoding of a canonical encoding; the identity is refused (draft "Point
 * Validation"), as is anything that is not a valid encoding.
 */
export function decodeElement(bytes: Uint8Array, what: string): Point {
  if (bytes.length !== ELEMENT_LENGTH)
    throw new ActError("ERR_ACT_DECODE", `${what}: element must be 32 bytes`);
  let p: Point;
  try {
    p = Point.fromBytes(bytes);
  } catch (cause) {
    throw new ActError("ERR_ACT_DECODE", `${what}: not a ristretto255 encoding`, { cause });
  }
  if (p.is0()) throw new ActError("ERR_ACT_DECODE", `${what}: identity element`);
  return p;
}

/** HashToGroup: hash_to_ristretto255 (RFC 9380, expand_message_xmd with SHA-512) under the given DST. */
export function hashToGroup(msg: Uint8Array, dst: Uint8Array): Point {
  return ristretto255_hasher.hashToCurve(msg, { DST: dst }) as Point;
}

/** s * P for a secret scalar (constant time); 0 gives the identity. */
export function mulSecret(p: Point, s: bigint): Point {
  return s === 0n ? Point.ZERO : p.multiply(s);
}

/** Σ s_i * P_i for a secret scalar vector, one constant-time multiplication per term. */
export function sumSecret(points: readonly Point[], scalars: readonly bigint[]): Point {
  let acc = Point.ZERO;
  for (let i = 0; i < points.length; i++) acc = acc.add(mulSecret(points[i]!, scalars[i]!));
  return acc;
}

/** Σ s_i * P_i over public values (variable time): Pippenger's multi-scalar multiplication. */
export function msmPublic(points: readonly Point[], scalars: readonly bigint[]): Point {
  if (points.length === 1) return scalars[0] === 0n ? Point.ZERO : points[0]!.multiplyUnsafe(scalars[0]!);
  return pippenger(Point, points as Point[], scalars as bigint[]);
}

/** Σ 2^j * P_j, by Horner's rule (doublings and additions only). */
export function sumPowersOfTwo(points: readonly Point[]): Point {
  let acc = Point.ZERO;
  for (let j = points.length - 1; j >= 0; j--) acc = acc.double().add(points[j]!);
  return acc;
}

/** Σ 2^j * s_j mod q, by Horner's rule. */
export function sumScalarPowersOfTwo(scalars: readonly bigint[]): bigint {
  let acc = 0n;
  for (let j = scalars.length - 1; j >= 0; j--) acc = Fn.add(Fn.add(acc, acc), scalars[j]!);
  return acc;
}
