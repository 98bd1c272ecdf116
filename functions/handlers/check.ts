import { checkRequestSchema, MAX_CHECK_BODY } from "@blindgate/sdk/protocol/internal";
import { GatewayError } from "../errors.js";
import { bearer, json, jsonBody, requireMethod } from "../http/index.js";
import type { DepsSource } from "../runtime.js";
import { checkToken } from "../services/check.js";
import { authenticateSite } from "../services/sites.js";
import { httpRoute } from "./route.js";

/*
 * POST /v1/check — a site verifies a token and spends it, once, globally (services/check.ts). Request and answer
 * are the gateway contract's (sdk/src/protocol/gateway-api.ts); its codes are in docs/errors.md.
 */

export function createCheckHandler(source?: DepsSource) {
  return httpRoute(async (event, deps) => {
    requireMethod(event, "POST");
    const now = deps.now();
    const site = await authenticateSite(deps, bearer(event), now);
    const parsed = checkRequestSchema.safeParse(jsonBody(event, MAX_CHECK_BODY));
    if (!parsed.success) throw new GatewayError("ERR_BAD_REQUEST", "expected { token, minAge, challenge? }");
    return json(200, await checkToken(deps, site, parsed.data, now));
  }, source);
}

export const handler = createCheckHandler();
