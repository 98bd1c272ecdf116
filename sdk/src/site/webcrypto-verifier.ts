import { GateError } from "./errors.js";
import type { TokenVerifierFactory } from "./verifier.js";

/**
 * The default verifier factory (WebCrypto, any runtime).
 *
 * @example
 * ```ts
 * const gate = createAgeGate({ ...options, verifier: defaultVerifierFactory });
 * ```
 */
export const defaultVerifierFactory: TokenVerifierFactory = () => {
  throw new GateError("CONFIG", "no default token verifier yet: pass options.verifier");
};
