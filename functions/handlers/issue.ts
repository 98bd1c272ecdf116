import { bearer, binary, bodyBytes, mediaType, requireMethod } from "../http/index.js";
import { signingDepsFromEnv } from "../issuer/vault-from-env.js";
import type { DepsSource } from "../runtime.js";
import { issueTokens, maxIssueBody } from "../services/issue.js";
import { httpRoute } from "./route.js";

/*
 * POST /token-request — RFC 9578 issuance for a provider's grant in `Authorization: Bearer` (services/issue.ts).
 * Codes: docs/errors.md.
 */

export function createIssueHandler(source?: DepsSource) {
  return httpRoute(async (event, deps) => {
    requireMethod(event, "POST");
    const type = mediaType(event);
    const body = bodyBytes(event, maxIssueBody(deps.config.maxBatch));
    const issued = await issueTokens(deps, { grant: bearer(event), mediaType: type, body }, deps.now());
    return binary(issued.status, issued.body, issued.contentType);
  }, source);
}

export const handler = createIssueHandler(signingDepsFromEnv);
