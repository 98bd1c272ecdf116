/**
 * TLS-presentation-language codecs of ACT's messages (draft-schlesinger-cfrg-act §"Protocol Messages and Wire
 * Format", as in the published ACT_ristretto255_SHAKE128 vectors). Decoders check every length, refuse
 * non-canonical scalars and invalid or identity points, respect `byteOffset`, and throw only {@link ActError}.
 */
import { concat, Reader, u16 } from "../bytes.js";
import { ProtocolError } from "../errors.js";
import { ActError } from "./errors.js";
import {
  decodeElement,
  decodeScalar,
  ELEMENT_LENGTH,
  encodeElement,
  encodeScalar,
  type Point,
  SCALAR_LENGTH,
} from "./group.js";
import type { ActParams } from "./params.js";
import { decodeSigmaProof, encodeSigmaProof, type SigmaProof } from "./sigma.js";

/** Responses in the spend proof: 3L + 7 witness scalars. */
export const spendWitnessLength = (L: number): number => 3 * L + 7;

/** Runs a decoder, turning the Reader's DecodeError into ActError("ERR_ACT_DECODE"). */
export function decoding<T>(what: string, bytes: Uint8Array, body: (r: Reader) => T): T {
  if (!(bytes instanceof Uint8Array)) throw new ActError("ERR_ACT_DECODE", `${what}: not bytes`);
  try {
    const r = new Reader(bytes, what);
    const out = body(r);
    r.end();
    return out;
  } catch (e) {
    if (e instanceof ActError) throw e;
    if (e instanceof ProtocolError) throw new ActError("ERR_ACT_DECODE", e.message, { cause: e });
    throw e;
  }
}

export const readScalar = (r: Reader, what: string): bigint => decodeScalar(r.bytesN(SCALAR_LENGTH), what);
export const readElement = (r: Reader, what: string): Point => decodeElement(r.bytesN(ELEMENT_LENGTH), what);

const readPok = (r: Reader, n: number, what: string): SigmaProof =>
  decodeSigmaProof(r.vec(2), n, `${what}.pok`);
const pok = (p: SigmaProof): Uint8Array => {
  const b = encodeSigmaProof(p);
  return concat(u16(b.length), b);
};

/**
 * ```
 * struct { opaque K[Ne]; opaque pok<1..2^16-1>; } IssuanceRequestMsg;
 * ```
 */
export interface IssuanceRequest {
  readonly K: Point;
  readonly pok: SigmaProof;
}

/**
 * Encodes an IssuanceRequestMsg (130 bytes).
 *
 * @example
 * ```ts
 * const body = encodeIssuanceRequest(createIssuanceRequest(params).request);
 * ```
 */
export function encodeIssuanceRequest(m: IssuanceRequest): Uint8Array {
  return concat(encodeElement(m.K), pok(m.pok));
}

/**
 * Decodes an IssuanceRequestMsg.
 *
 * @example
 * ```ts
 * const request = decodeIssuanceRequest(new Uint8Array(await req.arrayBuffer()));
 * ```
 */
export function decodeIssuanceRequest(bytes: Uint8Array): IssuanceRequest {
  return decoding("IssuanceRequest", bytes, (r) => ({
    K: readElement(r, "IssuanceRequest.K"),
    pok: readPok(r, 2, "IssuanceRequest"),
  }));
}

/**
 * ```
 * struct { opaque A[Ne]; opaque e[Ns]; opaque c[Ns]; opaque ctx[Ns]; opaque pok<1..2^16-1>; } IssuanceResponseMsg;
 * ```
 * The published vectors carry `ctx` in the response (the -02 text omits it); the client still checks it against
 * the context it expects.
 */
export interface IssuanceResponse {
  readonly A: Point;
  readonly e: bigint;
  /** Credits granted. */
  readonly c: bigint;
  readonly ctx: bigint;
  readonly pok: SigmaProof;
}

/**
 * Encodes an IssuanceResponseMsg (194 bytes).
 *
 * @example
 * ```ts
 * const body = encodeIssuanceResponse(issueCredential(params, key, request, 80n, 0n));
 * ```
 */
export function encodeIssuanceResponse(m: IssuanceResponse): Uint8Array {
  return concat(encodeElement(m.A), encodeScalar(m.e), encodeScalar(m.c), encodeScalar(m.ctx), pok(m.pok));
}

/**
 * Decodes an IssuanceResponseMsg.
 *
 * @example
 * ```ts
 * const response = decodeIssuanceResponse(bytes);
 * ```
 */
export function decodeIssuanceResponse(bytes: Uint8Array): IssuanceResponse {
  return decoding("IssuanceResponse", bytes, (r) => ({
    A: readElement(r, "IssuanceResponse.A"),
    e: readScalar(r, "IssuanceResponse.e"),
    c: readScalar(r, "IssuanceResponse.c"),
    ctx: readScalar(r, "IssuanceResponse.ctx"),
    pok: readPok(r, 1, "IssuanceResponse"),
  }));
}

/**
 * ```
 * struct {
 *   opaque k[Ns]; opaque s[Ns]; opaque ctx[Ns]; opaque A_prime[Ne]; opaque B_bar[Ne];
 *   opaque Com[L][Ne]; opaque pok<1..2^16-1>;
 * } SpendProofMsg;
 * ```
 */
export interface SpendProof {
  /** The nullifier revealed by this spend. */
  readonly k: bigint;
  /** Credits spent. */
  readonly s: bigint;
  readonly ctx: bigint;
  readonly APrime: Point;
  readonly BBar: Point;
  readonly Com: readonly Point[];
  readonly pok: SigmaProof;
}

/**
 * Encodes a SpendProofMsg ((L + 2) * 32 + 3 * 32 + 2 + (3L + 8) * 32 bytes).
 *
 * @example
 * ```ts
 * const body = encodeSpendProof(proveSpend(params, credential, 1n).proof);
 * ```
 */
export function encodeSpendProof(m: SpendProof): Uint8Array {
  return concat(
    encodeScalar(m.k),
    encodeScalar(m.s),
    encodeScalar(m.ctx),
    encodeElement(m.APrime),
    encodeElement(m.BBar),
    ...m.Com.map(encodeElement),
    pok(m.pok),
  );
}

/**
 * Decodes a SpendProofMsg for the parameters' L.
 *
 * @example
 * ```ts
 * const proof = decodeSpendProof(params, bytes);
 * ```
 */
export function decodeSpendProof(params: ActParams, bytes: Uint8Array): SpendProof {
  return decoding("SpendProof", bytes, (r) => ({
    k: readScalar(r, "SpendProof.k"),
    s: readScalar(r, "SpendProof.s"),
    ctx: readScalar(r, "SpendProof.ctx"),
    APrime: readElement(r, "SpendProof.A_prime"),
    BBar: readElement(r, "SpendProof.B_bar"),
    Com: Array.from({ length: params.L }, (_, j) => readElement(r, `SpendProof.Com[${j}]`)),
    pok: readPok(r, spendWitnessLength(params.L), "SpendProof"),
  }));
}

/**
 * ```
 * struct { opaque A_star[Ne]; opaque e_star[Ns]; opaque t[Ns]; opaque pok<1..2^16-1>; } RefundMsg;
 * ```
 */
export interface Refund {
  readonly AStar: Point;
  readonly eStar: bigint;
  /** Credits returned on top of the change (0 <= t <= s). */
  readonly t: bigint;
  readonly pok: SigmaProof;
}

/**
 * Encodes a RefundMsg (162 bytes).
 *
 * @example
 * ```ts
 * const body = encodeRefund(issueRefund(params, key, proof));
 * ```
 */
export function encodeRefund(m: Refund): Uint8Array {
  return concat(encodeElement(m.AStar), encodeScalar(m.eStar), encodeScalar(m.t), pok(m.pok));
}

/**
 * Decodes a RefundMsg.
 *
 * @example
 * ```ts
 * const refund = decodeRefund(bytes);
 * ```
 */
export function decodeRefund(bytes: Uint8Array): Refund {
  return decoding("Refund", bytes, (r) => ({
    AStar: readElement(r, "Refund.A_star"),
    eStar: readScalar(r, "Refund.e_star"),
    t: readScalar(r, "Refund.t"),
    pok: readPok(r, 1, "Refund"),
  }));
}
