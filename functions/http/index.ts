export { errorResult, httpErrors } from "./boundary.js";
export type { CodeOf } from "./errors.js";
export { GatewayError, GrantError, UnavailableError } from "./errors.js";
export { bearer, bodyBytes, header, jsonBody, mediaType, requireMethod } from "./request.js";
export type { HttpEvent, HttpResult } from "./responses.js";
export { binary, json } from "./responses.js";
