import type { ProvidersAnswer } from "@blindgate/sdk/protocol";
import { json, requireMethod } from "../http/index.js";
import type { DepsSource } from "../runtime.js";
import { httpRoute } from "./route.js";

/*
 * GET /v1/providers — the active verification providers a wallet may send a person to: id, name (and, when the
 * operator gave them, its names in other languages, so the wallet speaks the person's language), page.
 */

export function createProvidersHandler(source?: DepsSource) {
  return httpRoute(async (event, deps) => {
    requireMethod(event, "GET");
    const providers: ProvidersAnswer["providers"] = (await deps.stores.providers.list())
      .filter((p) => p.status === "active")
      .map((p) => ({
        id: p.id,
        name: p.name,
        ...(p.names === undefined ? {} : { names: { ...p.names } }),
        verifyUrl: p.verifyUrl,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return json(200, { providers }, { "cache-control": "public, max-age=60" });
  }, source);
}

export const handler = createProvidersHandler();
