import { credentialRequestSchema, MAX_CREDIT_BODY } from "@blindgate/sdk/protocol/internal";
import { GatewayError } from "../errors.js";
import { bearer, json, jsonBody, requireMethod } from "../http/index.js";
import { signingDepsFromEnv } from "../issuer/vault-from-env.js";
import type { DepsSource } from "../runtime.js";
import { issueCredentialForGrant } from "../services/credential.js";
import { httpRoute } from "./route.js";

/*
 * POST /v1/credential — a provider's grant (Authorization: Bearer) buys a credit credential and optionally a first
 * batch of tokens (services/credential.ts). Body and answer: the gateway contract; codes: docs/errors.md.
 */

export function createCredentialHandler(source?: DepsSource) {
  return httpRoute(async (event, deps) => {
    requireMethod(event, "POST");
    const parsed = credentialRequestSchema.safeParse(jsonBody(event, MAX_CREDIT_BODY));
    if (!parsed.success) throw new GatewayError("ERR_BAD_REQUEST", "expected { credit, tokens? }");
    return json(200, await issueCredentialForGrant(deps, bearer(event), parsed.data, deps.now()));
  }, source);
}

export const handler = createCredentialHandler(signingDepsFromEnv);
