import { ProtocolError, type ProtocolErrorCode } from "../errors.js";

/** The subset of {@link ProtocolErrorCode} that the ACT core throws. */
export type ActErrorCode = Extract<ProtocolErrorCode, `ERR_ACT_${string}`>;

/**
 * Every error of the Anonymous Credit Tokens core (draft-schlesinger-cfrg-act). Decoders, provers and verifiers
 * throw nothing else; `code` is stable and safe to map to an HTTP answer (the message never echoes input bytes).
 *
 * @example
 * ```ts
 * try {
 *   verifySpend(params, key, decodeSpendProof(params, body));
 * } catch (e) {
 *   if (e instanceof ActError && e.code === "ERR_ACT_PROOF") return new Response(null, { status: 400 });
 *   throw e;
 * }
 * ```
 */
export class ActError extends ProtocolError {
  override name = "ActError";
  declare readonly code: ActErrorCode;
  constructor(code: ActErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
