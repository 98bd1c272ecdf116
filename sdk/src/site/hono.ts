import type { MiddlewareHandler } from "hono";
import { type AgeGate, pathOf } from "./gate.js";

/*
 * Hono middleware: the gate over Hono's context. Hono is Fetch API inside (`c.req.raw` is the Request), so this is
 * a few lines over the core, and the core never imports it (hono's own layout: adapters depend on the core). It is
 * its own entry point, "@blindgate/sdk/site/hono", so sites without Hono never load Hono's types; `hono` is an
 * optional peer dependency.
 */

/** What the middleware adds to Hono's context: `c.get("ageOver")` and, behind a band gate, `c.get("ageBelow")`. */
export interface AgeGateEnv {
  Variables: {
    /** The lower age proved (>= the gate's minAge). */
    ageOver: number;
    /** Band gates only: the person is younger than this (undefined behind a threshold gate). */
    ageBelow: number | undefined;
  };
}

/**
 * Gate Hono routes. Requests to the gate's proofPath are answered by the proof endpoint (register the middleware
 * on that path too when it gates a prefix); a refusal is the gate's answer (401 challenge, or 503); a pass sets
 * `c.get("ageOver")`, runs the route, and adds the session cookie when a token was redeemed.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { createAgeGate } from "@blindgate/sdk/site";
 * import { honoAgeGate } from "@blindgate/sdk/site/hono";
 *
 * const gate = createAgeGate({ issuers: { url, siteKey }, minAge: 18, session: { secret } });
 * const app = new Hono();
 * app.use(gate.proofPath, honoAgeGate(gate));
 * app.use("/adult/*", honoAgeGate(gate));
 * app.get("/adult/", (c) => c.text(`over ${c.get("ageOver")}`));
 * ```
 */
export function honoAgeGate(gate: AgeGate): MiddlewareHandler<AgeGateEnv> {
  return async (c, next) => {
    const request = c.req.raw;
    if (pathOf(request) === gate.proofPath) return gate.handleProof(request);
    const result = await gate.check(request);
    if (!result.ok) return result.response;
    c.set("ageOver", result.ageOver);
    c.set("ageBelow", result.ageBelow);
    await next();
    if (result.setCookie !== undefined) c.header("Set-Cookie", result.setCookie, { append: true });
    return undefined;
  };
}
