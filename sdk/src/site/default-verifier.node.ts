import { createNodeTokenVerifier } from "../node/token-verifier.js";
import type { TokenVerifierFactory } from "../protocol/index.js";

/*
 * The gate's default token verifier on Node (the package's "imports" map picks this file under the "node"
 * condition): the protocol core's verifier on OpenSSL, about three times the WebCrypto one (see npm run bench).
 */

/**
 * The verifier a gate uses when its options name none.
 *
 * @example
 * ```ts
 * createAgeGate({ issuers, minAge: 18, session, verifier: defaultVerifierFactory }); // same as leaving it out
 * ```
 */
export const defaultVerifierFactory: TokenVerifierFactory = createNodeTokenVerifier;
