export { createNodeTokenVerifier } from "./token-verifier.js";
