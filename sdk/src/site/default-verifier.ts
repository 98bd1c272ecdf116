import { createTokenVerifier, type TokenVerifierFactory } from "../protocol/index.js";

/*
 * The gate's default token verifier on runtimes other than Node (Deno, Bun, Workers, browsers' tests): WebCrypto.
 * On Node, the package's "imports" map resolves "#default-verifier" to default-verifier.node.ts instead.
 */

/**
 * The verifier a gate uses when its options name none.
 *
 * @example
 * ```ts
 * createAgeGate({ issuers, minAge: 18, session, verifier: defaultVerifierFactory }); // same as leaving it out
 * ```
 */
export const defaultVerifierFactory: TokenVerifierFactory = createTokenVerifier;
