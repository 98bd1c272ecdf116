export { defaultVerifierFactory } from "#default-verifier";
export type { AgeRequirement, GateInterval } from "./age-requirement.js";
export type { CachedDirectory, DirectoryCacheOptions } from "./directory-cache.js";
export {
  cacheSeconds,
  DEFAULT_DIRECTORY_TTL,
  DirectoryCache,
  MAX_DIRECTORY_TTL,
  MIN_DIRECTORY_TTL,
} from "./directory-cache.js";
export type { GateErrorCode } from "./errors.js";
export { GATE_ERROR_STATUS, GateError } from "./errors.js";
export type { AgeContext, AgeGate, GatedHandler, GateResult } from "./gate.js";
export { createAgeGate, withSetCookie } from "./gate.js";
export type { CheckRequest, CheckResult } from "./gateway-check.js";
export { CHECK_PATH, checkWithGateway, TOKEN_REFUSALS } from "./gateway-check.js";
export type { GatedLambdaHandler, LambdaHttpEvent, LambdaHttpResult } from "./lambda.js";
export { toFetchRequest as lambdaEventToRequest, toLambdaHandler, toLambdaResult } from "./lambda.js";
export type { GateErrorHook, GateLogger } from "./logger.js";
export { isOperatorError, SILENT_LOGGER } from "./logger.js";
export type { NextFunction, NodeMiddleware, NodeRequestLike, NodeResponseLike } from "./node-middleware.js";
export {
  toFetchRequest as nodeRequestToRequest,
  toNodeMiddleware,
  writeFetchResponse,
} from "./node-middleware.js";
export type { AgeGateOptions, TrustedIssuer } from "./options.js";
export { DEFAULT_PROOF_PATH, MAX_PROOF_BODY } from "./proof-request.js";
export type {
  RefusalPageContext,
  RefusalPageLang,
  RefusalPageOptions,
  RefusalReason,
} from "./refusal-page.js";
export { pageLang, prefersHtml, refusalPageCsp, renderRefusalPage } from "./refusal-page.js";
export type { SessionCodec, SessionOptions } from "./session.js";
export {
  BROWSER_SESSION_LIMIT_SECONDS,
  createSessionCodec,
  DEFAULT_COOKIE_NAME,
  DEFAULT_INSECURE_COOKIE_NAME,
  DEFAULT_SESSION_SECONDS,
  estimatedEntropyBits,
  MAX_SESSION_SECONDS,
  MIN_SECRET_BYTES,
  MIN_SECRET_ENTROPY_BITS,
  SESSION_CLOCK_SKEW_SECONDS,
} from "./session.js";
