import { ProtocolError } from "../errors.js";

/*
 * Integer helpers of RFC 8017 / RFC 9474 on native BigInt (browser-safe, no dependency):
 * OS2IP / I2OSP (RFC 9474 bytes_to_int / int_to_bytes), modular exponentiation with a sliding window, the
 * modular inverse by the extended Euclidean algorithm, and uniform random integers by rejection sampling.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** OS2IP: a big-endian byte string as a non-negative integer (the empty string is 0). */
export function os2ip(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let hex = "0x";
  for (let i = 0; i < bytes.length; i++) hex += HEX[bytes[i]!];
  return BigInt(hex);
}

/**
 * I2OSP: a non-negative integer as exactly `length` big-endian bytes. Throws ProtocolError("ERR_INVALID_INPUT")
 * when it does not fit ("integer too large").
 */
export function i2osp(x: bigint, length: number): Uint8Array<ArrayBuffer> {
  if (x < 0n) throw new ProtocolError("ERR_INVALID_INPUT", "I2OSP: negative integer");
  const hex = x.toString(16);
  if (hex.length > 2 * length) throw new ProtocolError("ERR_INVALID_INPUT", "I2OSP: integer too large");
  const out = new Uint8Array(length);
  // Walk from the last hex digit so an odd digit count needs no padding string.
  let o = length - 1;
  let i = hex.length;
  while (i >= 2) {
    out[o--] = Number.parseInt(hex.slice(i - 2, i), 16);
    i -= 2;
  }
  if (i === 1) out[o] = Number.parseInt(hex[0]!, 16);
  return out;
}

/** Number of bits of a non-negative integer (0 for 0). */
export function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * base^exp mod m for exp >= 0 and m > 1. Small exponents (the RSA public exponent, 17 bits for 65537) use plain
 * left-to-right square-and-multiply; large ones a sliding window over odd powers, window size by exponent length.
 */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  if (m <= 1n) throw new ProtocolError("ERR_INVALID_INPUT", "modPow: modulus must be > 1");
  if (exp < 0n) throw new ProtocolError("ERR_INVALID_INPUT", "modPow: negative exponent");
  let b = base % m;
  if (b < 0n) b += m;
  if (exp === 0n) return 1n;
  const bits = exp.toString(2);
  if (bits.length <= 64) {
    let r = b;
    for (let i = 1; i < bits.length; i++) {
      r = (r * r) % m;
      if (bits.charCodeAt(i) === 49) r = (r * b) % m;
    }
    return r;
  }
  const w = bits.length > 1536 ? 6 : bits.length > 512 ? 5 : 4;
  // odd[k] = b^(2k+1) mod m
  const odd: bigint[] = [b];
  const b2 = (b * b) % m;
  for (let k = 1; k < 1 << (w - 1); k++) odd.push((odd[k - 1]! * b2) % m);
  let r = 1n;
  let started = false;
  let i = 0;
  while (i < bits.length) {
    if (bits.charCodeAt(i) === 48) {
      if (started) r = (r * r) % m;
      i++;
      continue;
    }
    // The longest window bits[i..j] of at most w bits that ends in a 1.
    let j = Math.min(i + w, bits.length) - 1;
    while (bits.charCodeAt(j) === 48) j--;
    const value = Number.parseInt(bits.slice(i, j + 1), 2);
    if (started) for (let k = i; k <= j; k++) r = (r * r) % m;
    r = started ? (r * odd[value >> 1]!) % m : odd[value >> 1]!;
    started = true;
    i = j + 1;
  }
  return r;
}

/** The inverse of a modulo m (m > 1), or undefined when gcd(a, m) != 1. Extended Euclid. */
export function modInverse(a: bigint, m: bigint): bigint | undefined {
  let r0 = m;
  let r1 = a % m;
  if (r1 < 0n) r1 += m;
  let t0 = 0n;
  let t1 = 1n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    const r2 = r0 - q * r1;
    r0 = r1;
    r1 = r2;
    const t2 = t0 - q * t1;
    t0 = t1;
    t1 = t2;
  }
  if (r0 !== 1n) return undefined;
  return t0 < 0n ? t0 + m : t0;
}

/**
 * The inverses of many values modulo m (m > 1) with one extended Euclid (Montgomery's trick): the product of all
 * values is inverted once, then each inverse costs three multiplications. An entry is undefined when its value is
 * not invertible (then each value is inverted on its own, which only happens when one shares a factor with m).
 */
export function modInverseAll(values: readonly bigint[], m: bigint): (bigint | undefined)[] {
  const k = values.length;
  if (k === 0) return [];
  // prefix[i] = values[0] * ... * values[i] mod m
  const prefix = new Array<bigint>(k);
  let acc = 1n;
  for (let i = 0; i < k; i++) {
    acc = (acc * values[i]!) % m;
    if (acc < 0n) acc += m;
    prefix[i] = acc;
  }
  let u = modInverse(acc, m);
  if (u === undefined) return values.map((v) => modInverse(v, m));
  // u = (values[0] * ... * values[i])^-1; values[i]^-1 = u * prefix[i - 1], then drop values[i] from u.
  const out = new Array<bigint | undefined>(k);
  for (let i = k - 1; i > 0; i--) {
    out[i] = (u * prefix[i - 1]!) % m;
    u = (u * values[i]!) % m;
    if (u < 0n) u += m;
  }
  out[0] = u;
  return out;
}

/** gcd(a, b) of non-negative integers. */
export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

/**
 * RFC 9474 random_integer_uniform(1, n): a uniform integer in [1, n) by rejection sampling over bit_len(n)
 * random bits from `crypto.getRandomValues`.
 */
export function randomIntegerBelow(n: bigint): bigint {
  const bits = bitLength(n);
  const bytes = new Uint8Array(Math.ceil(bits / 8));
  const topMask = 0xff >> (bytes.length * 8 - bits);
  for (;;) {
    crypto.getRandomValues(bytes);
    bytes[0] = bytes[0]! & topMask;
    const x = os2ip(bytes);
    if (x >= 1n && x < n) return x;
  }
}
