export { createNodeTokenVerifier, nodeBackend } from "./token-verifier.js";
