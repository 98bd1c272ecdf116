/**
 * Client-side state: the credit credential (the draft's "credit token" (A, e, k, r, c, ctx)) and the states kept
 * between a request and its answer, with byte codecs so a wallet can store them (e.g. in IndexedDB) and restore
 * them. These bytes are secrets: whoever holds them can spend the credits.
 */
import { concat } from "../bytes.js";
import { ActError } from "./errors.js";
import { encodeElement, encodeScalar, type Point } from "./group.js";
import { decoding, readElement, readScalar } from "./wire.js";

/**
 * ```
 * struct { opaque A[Ne]; opaque e[Ns]; opaque k[Ns]; opaque r[Ns]; opaque c[Ns]; opaque ctx[Ns]; } CreditToken;
 * ```
 */
export interface CreditCredential {
  readonly A: Point;
  readonly e: bigint;
  /** Nullifier revealed when this credential is spent. */
  readonly k: bigint;
  readonly r: bigint;
  /** Balance in credits. */
  readonly c: bigint;
  readonly ctx: bigint;
}

/** The state between IssueRequest and VerifyIssuance: (k, r); K is recomputed. */
export interface PreIssuanceState {
  readonly k: bigint;
  readonly r: bigint;
}

/** The state between ProveSpend and ConstructRefundToken: (k*, r*, m, ctx). */
export interface PreRefundState {
  readonly kStar: bigint;
  readonly rStar: bigint;
  /** Balance left after the spend (c - s). */
  readonly m: bigint;
  readonly ctx: bigint;
}

/** CreditToken and state sizes in bytes. */
export const CREDIT_CREDENTIAL_LENGTH = 192;
export const PRE_ISSUANCE_STATE_LENGTH = 64;
export const PRE_REFUND_STATE_LENGTH = 128;

/**
 * ScalarToCredit: the integer of a scalar whose bytes 16..31 are zero, refused unless below 2^L.
 *
 * @example
 * ```ts
 * scalarToCredit(30n, 8); // 30n
 * ```
 */
export function scalarToCredit(s: bigint, L: number): bigint {
  if (s >= 1n << 128n) throw new ActError("ERR_ACT_AMOUNT", "scalar out of credit range");
  if (s >= 1n << BigInt(L)) throw new ActError("ERR_ACT_AMOUNT", "amount does not fit in L bits");
  return s;
}

/**
 * CreditToScalar: an integer credit amount in [0, 2^L) as a scalar; anything else is ERR_ACT_AMOUNT.
 *
 * @example
 * ```ts
 * creditToScalar(100n, 8); // 100n
 * ```
 */
export function creditToScalar(amount: bigint, L: number): bigint {
  if (typeof amount !== "bigint" || amount < 0n || amount >= 1n << BigInt(L)) {
    throw new ActError("ERR_ACT_AMOUNT", "amount must be an integer in [0, 2^L)");
  }
  return amount;
}

/**
 * Serializes a credit credential (192 bytes) for storage.
 *
 * @example
 * ```ts
 * await db.put("credentials", encodeCreditCredential(credential), id);
 * ```
 */
export function encodeCreditCredential(c: CreditCredential): Uint8Array {
  return concat(
    encodeElement(c.A),
    encodeScalar(c.e),
    encodeScalar(c.k),
    encodeScalar(c.r),
    encodeScalar(c.c),
    encodeScalar(c.ctx),
  );
}

/**
 * Restores a credit credential from its 192 bytes.
 *
 * @example
 * ```ts
 * const credential = decodeCreditCredential(await db.get("credentials", id));
 * ```
 */
export function decodeCreditCredential(bytes: Uint8Array): CreditCredential {
  return decoding("CreditCredential", bytes, (r) => {
    const A = readElement(r, "CreditCredential.A");
    const e = readScalar(r, "CreditCredential.e");
    const k = readScalar(r, "CreditCredential.k");
    const rr = readScalar(r, "CreditCredential.r");
    const c = readScalar(r, "CreditCredential.c");
    if (c >= 1n << 128n) throw new ActError("ERR_ACT_DECODE", "CreditCredential.c: out of credit range");
    return { A, e, k, r: rr, c, ctx: readScalar(r, "CreditCredential.ctx") };
  });
}

/**
 * Serializes the pre-issuance state (k || r, 64 bytes): keep it durably until the issuance response arrives.
 *
 * @example
 * ```ts
 * sessionStorage.setItem("act-pending", toBase64Url(encodePreIssuanceState(state)));
 * ```
 */
export function encodePreIssuanceState(s: PreIssuanceState): Uint8Array {
  return concat(encodeScalar(s.k), encodeScalar(s.r));
}

/**
 * Restores the pre-issuance state.
 *
 * @example
 * ```ts
 * const state = decodePreIssuanceState(bytes);
 * ```
 */
export function decodePreIssuanceState(bytes: Uint8Array): PreIssuanceState {
  return decoding("PreIssuanceState", bytes, (r) => ({
    k: readScalar(r, "PreIssuanceState.k"),
    r: readScalar(r, "PreIssuanceState.r"),
  }));
}

/**
 * Serializes the pre-refund state (k* || r* || m || ctx, 128 bytes): the wallet MUST keep it, with the spend
 * proof, until the refund is accepted, so a failed refund can be retried without losing credits.
 *
 * @example
 * ```ts
 * await db.put("pending-spend", { proof: encodeSpendProof(proof), state: encodePreRefundState(state) });
 * ```
 */
export function encodePreRefundState(s: PreRefundState): Uint8Array {
  return concat(encodeScalar(s.kStar), encodeScalar(s.rStar), encodeScalar(s.m), encodeScalar(s.ctx));
}

/**
 * Restores the pre-refund state.
 *
 * @example
 * ```ts
 * const state = decodePreRefundState(bytes);
 * ```
 */
export function decodePreRefundState(bytes: Uint8Array): PreRefundState {
  return decoding("PreRefundState", bytes, (r) => {
    const kStar = readScalar(r, "PreRefundState.k_star");
    const rStar = readScalar(r, "PreRefundState.r_star");
    const m = readScalar(r, "PreRefundState.m");
    if (m >= 1n << 128n) throw new ActError("ERR_ACT_DECODE", "PreRefundState.m: out of credit range");
    return { kStar, rStar, m, ctx: readScalar(r, "PreRefundState.ctx") };
  });
}
