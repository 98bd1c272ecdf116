export { errorResult, httpErrors } from "./boundary.js";
export { bearer, bodyBytes, header, jsonBody, mediaType, requireMethod } from "./request.js";
export type { HttpEvent, HttpResult } from "./responses.js";
export { binary, json } from "./responses.js";
