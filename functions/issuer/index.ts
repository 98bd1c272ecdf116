export { BlindSigner } from "./blind-signer.js";
export type { IssuerErrorCode } from "./errors.js";
export { IssuerError } from "./errors.js";
export type { GeneratedTokenKey } from "./token-key.js";
export { generateTokenKey, TOKEN_KEY_MODULUS_BITS, TOKEN_KEY_PUBLIC_EXPONENT } from "./token-key.js";
