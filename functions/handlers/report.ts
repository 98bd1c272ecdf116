import { GatewayError } from "../errors.js";
import { json, requireMethod } from "../http/index.js";
import { signingDepsFromEnv } from "../issuer/vault-from-env.js";
import type { DepsSource } from "../runtime.js";
import { reportFor } from "../services/report.js";
import { utcDay } from "../services/report-counts.js";
import { httpRoute } from "./route.js";

/*
 * GET /v1/report?day=YYYY-MM-DD — the signed, chained transparency report of a closed UTC day (services/report.ts),
 * in the contract's shape (reportAnswerSchema). Public: anyone may audit it, from any page. A sealed report never
 * changes, so it is cacheable for a day. The first request for a day seals it, with the report key: this function
 * opens that key (KMS Decrypt) and creates it the first time (KMS GenerateDataKey).
 */

export function createReportHandler(source: DepsSource = signingDepsFromEnv) {
  return httpRoute(async (event, deps) => {
    requireMethod(event, "GET");
    const day = event.queryStringParameters?.day ?? "";
    const parsed = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
    if (Number.isNaN(parsed) || utcDay(parsed / 1000) !== day) {
      throw new GatewayError("ERR_BAD_REQUEST", "day must be a date, YYYY-MM-DD");
    }
    const answer = await reportFor(deps, day, deps.now());
    if (answer === undefined) {
      throw new GatewayError(
        "ERR_NOT_FOUND",
        "no report for this day: not over yet, or before the first report",
      );
    }
    return json(200, answer, {
      "cache-control": "public, max-age=86400, immutable",
      "access-control-allow-origin": "*",
    });
  }, source);
}

export const handler = createReportHandler();
