import { createHash } from "node:crypto";
import {
  buildDirectory,
  DIRECTORY_MEDIA_TYPE,
  GATEWAY_PATHS,
  TOKEN_TYPE_BLIND_RSA,
} from "@blindgate/sdk/protocol";
import { GatewayError } from "../errors.js";
import { header, requireMethod } from "../http/index.js";
import { directoryKeys } from "../issuer/key-state.js";
import type { DepsSource } from "../runtime.js";
import { issuanceRate } from "../services/issuance-rate.js";
import { httpRoute } from "./route.js";

/*
 * GET /.well-known/private-token-issuer-directory (RFC 9578 §4): per age interval the current key and the next
 * one (published ahead), each with "not-before", our "not-after" (end of its tokens' validity) and "age-over", and
 * "age-below" on band keys. Thresholds come first: a plain RFC 9578 client takes the first usable key, and must
 * not end up with a band token it was not asked for.
 * Credit-credential keys (ACT) are listed the same way in "blindgate-credit-keys". Cacheable for a few minutes: a key is published one epoch before it issues, so clients never miss one.
 */

export const DIRECTORY_MAX_AGE_SECONDS = 300;

export function createDirectoryHandler(source?: DepsSource) {
  return httpRoute(async (event, deps) => {
    requireMethod(event, "GET");
    const now = deps.now();
    const [all, issuancesPerHour] = await Promise.all([deps.keyCache.all(now), issuanceRate(deps, now)]);
    const tokenKeys = directoryKeys(all, now);
    if (tokenKeys.length === 0) {
      // An RFC 9578 directory lists at least one key: with none live there is nothing honest to publish.
      throw new GatewayError("ERR_NO_LIVE_KEY", "no token key is live", { headers: { "retry-after": "30" } });
    }
    const body = JSON.stringify(
      buildDirectory({
        issuerRequestUri: `${deps.config.issuerUrl}${GATEWAY_PATHS.issue}`,
        tokenKeys: tokenKeys.map((k) => ({
          tokenType: TOKEN_TYPE_BLIND_RSA,
          tokenKey: k.spki,
          notBefore: k.notBefore,
          notAfter: k.validUntil,
          ageOver: k.threshold,
          ...(k.ageBelow === undefined ? {} : { ageBelow: k.ageBelow }),
        })),
        // blindgate extension: the credit-credential keys, current and next per threshold, like token keys
        creditKeys: directoryKeys(all, now, "credit").map((k) => ({
          actKey: k.spki,
          ageOver: k.threshold,
          ...(k.ageBelow === undefined ? {} : { ageBelow: k.ageBelow }),
          notBefore: k.notBefore,
          issueUntil: k.issueUntil,
          notAfter: k.validUntil,
        })),
        ...(issuancesPerHour === undefined ? {} : { issuancesPerHour }),
      }),
    );
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 32)}"`;
    const headers = {
      "content-type": DIRECTORY_MEDIA_TYPE,
      "cache-control": `public, max-age=${DIRECTORY_MAX_AGE_SECONDS}`,
      etag,
      "x-content-type-options": "nosniff",
    };
    const match = header(event, "if-none-match");
    if (match?.split(",").some((t) => t.trim() === etag)) {
      return { statusCode: 304, headers };
    }
    return { statusCode: 200, headers, body };
  }, source);
}

export const handler = createDirectoryHandler();
