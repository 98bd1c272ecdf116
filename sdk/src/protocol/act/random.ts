/**
 * Randomness for ACT: the draft's PRNG interface (`random_scalar()`, Appendix "PRNG Interface"). Production code
 * uses {@link webCryptoScalars}; tests inject a deterministic source such as {@link seededScalars}.
 */
import { shake128 } from "@noble/hashes/sha3.js";
import { Fn } from "./group.js";

/** A source of uniformly random scalars in [1, q). */
export interface ScalarSource {
  /** A fresh uniformly random non-zero scalar. */
  randomScalar(): bigint;
}

function reduceLE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return Fn.create(v);
}

/**
 * random_scalar() on crypto.getRandomValues: 64 bytes reduced modulo q (bias below 2^-250), redrawn on zero.
 *
 * @example
 * ```ts
 * const k = webCryptoScalars.randomScalar();
 * ```
 */
export const webCryptoScalars: ScalarSource = {
  randomScalar(): bigint {
    for (;;) {
      const s = reduceLE(crypto.getRandomValues(new Uint8Array(64)));
      if (s !== 0n) return s;
    }
  },
};

/**
 * The draft's SeededPRNG (SHAKE128 absorbing the seed; each scalar is the next 64 squeezed bytes, little-endian,
 * reduced modulo q). For tests and reproducible fixtures only: never for keys or proofs in production.
 *
 * @example
 * ```ts
 * const rng = seededScalars(new Uint8Array(32));
 * const key = generateActKey(rng);
 * ```
 */
export function seededScalars(seed: Uint8Array): ScalarSource {
  const xof = shake128.create({});
  xof.update(seed);
  return {
    randomScalar(): bigint {
      for (;;) {
        const s = reduceLE(xof.xof(64));
        if (s !== 0n) return s;
      }
    },
  };
}
