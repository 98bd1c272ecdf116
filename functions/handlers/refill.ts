import { MAX_CREDIT_BODY, refillRequestSchema } from "@blindgate/sdk/protocol/internal";
import { GatewayError } from "../errors.js";
import { json, jsonBody, requireMethod } from "../http/index.js";
import { signingDepsFromEnv } from "../issuer/vault-from-env.js";
import type { DepsSource } from "../runtime.js";
import { refill } from "../services/refill.js";
import { httpRoute } from "./route.js";

/*
 * POST /v1/refill — a credit credential's spend proof buys tokens and the change (services/refill.ts). No
 * Authorization: the proof is the payment. Body and answer: the gateway contract; codes: docs/errors.md.
 */

export function createRefillHandler(source?: DepsSource) {
  return httpRoute(async (event, deps) => {
    requireMethod(event, "POST");
    const parsed = refillRequestSchema.safeParse(jsonBody(event, MAX_CREDIT_BODY));
    if (!parsed.success) throw new GatewayError("ERR_BAD_REQUEST", "expected { creditKeyId, proof, tokens }");
    return json(200, await refill(deps, parsed.data, deps.now()));
  }, source);
}

export const handler = createRefillHandler(signingDepsFromEnv);
