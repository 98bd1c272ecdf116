import {
  DecodeError,
  decodeBatchRequest,
  encodeBatchResponse,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  GENERIC_BATCH_RESPONSE_MEDIA_TYPE,
  TOKEN_REQUEST_MEDIA_TYPE,
  TOKEN_RESPONSE_MEDIA_TYPE,
  TOKEN_TYPE_BLIND_RSA,
  TokenRequest,
  TokenResponse,
} from "@blindgate/sdk/protocol";
import { bearer, binary, bodyBytes, HttpError, log, mediaType, requireMethod } from "../http.js";
import { IssuerError } from "../issuer/errors.js";
import { verifyGrant } from "../issuer/grants.js";
import { issuingKeys, keyRingFor } from "../issuer/keys.js";
import { signingDepsFromEnv } from "../issuer/vault-from-env.js";
import type { DepsSource } from "../runtime.js";
import type { TokenKeyRecord } from "../stores/types.js";
import { httpRoute } from "./route.js";

/*
 * POST /token-request — RFC 9578 §6 issuance, one TokenRequest or a generic batch
 * (draft-ietf-privacypass-batched-tokens), paid for by a provider's grant in `Authorization: Bearer`.
 *
 * Order matters: everything that can refuse the request is checked before the grant's jti is consumed, and the
 * jti and the provider's quota are consumed before any signature is made. So a refused request issues nothing,
 * and a grant issues at most once.
 *
 *   415 ERR_MEDIA_TYPE         neither media type
 *   400 ERR_DECODE             bytes that are not a TokenRequest / batch
 *   401 ERR_GRANT_*            missing, malformed, badly signed, expired, wrong audience, extra claims, replayed
 *   403 ERR_PROVIDER_*         unknown, suspended, over its monthly quota
 *   403 ERR_GRANT_THRESHOLD    a request for a key whose threshold is above the grant's age_over
 *   403 ERR_GRANT_TOO_MANY     more TokenRequests than the grant's max_tokens
 *   422 ERR_UNKNOWN_KEY        (single request) no issuing key has this truncated id
 *   422 ERR_BLINDED_MSG        (single request) blinded_msg outside 0 < m < n
 *   200 / 206                  batch: 206 when some entries are null (unknown key or bad blinded_msg)
 */

/** Largest issue body: a batch of maxBatch type-2 requests with their varint headers. */
const MAX_ITEM_BYTES = 2 + 4 + 259;

interface Planned {
  request: TokenRequest | undefined;
  key: TokenKeyRecord | undefined;
}

function period(now: number): string {
  return new Date(now * 1000).toISOString().slice(0, 7);
}

export function createIssueHandler(source?: DepsSource) {
  return httpRoute(async (event, deps) => {
    requireMethod(event, "POST");
    const { config, stores } = deps;
    const now = deps.now();
    const type = mediaType(event);
    const batch = type === GENERIC_BATCH_REQUEST_MEDIA_TYPE;
    if (!batch && type !== TOKEN_REQUEST_MEDIA_TYPE) {
      throw new HttpError(415, "ERR_MEDIA_TYPE", `expected ${TOKEN_REQUEST_MEDIA_TYPE} or a generic batch`);
    }
    const body = bodyBytes(event, 16 + config.maxBatch * MAX_ITEM_BYTES);

    // 1. Decode every request (no grant is looked at for garbage).
    let requests: (TokenRequest | undefined)[];
    try {
      requests = batch
        ? decodeBatchRequest(body, { maxItems: config.maxBatch }).map((item) =>
            item.tokenType === TOKEN_TYPE_BLIND_RSA ? TokenRequest.decode(item.request) : undefined,
          )
        : [TokenRequest.decode(body)];
    } catch (error) {
      if (error instanceof DecodeError) {
        if (error.code === "ERR_BATCH_TOO_LARGE") {
          throw new HttpError(413, "ERR_BATCH_TOO_LARGE", `at most ${config.maxBatch} requests per batch`);
        }
        const status = error.code === "ERR_UNSUPPORTED_TOKEN_TYPE" ? 422 : 400;
        throw new HttpError(status, "ERR_DECODE", "the body is not a valid token request");
      }
      throw error;
    }
    if (requests.length === 0) throw new HttpError(400, "ERR_DECODE", "empty batch");

    // 2. The grant, strictly.
    const { claims, provider } = await verifyGrant(bearer(event), {
      providers: stores.providers,
      issuerName: config.issuerName,
      maxTtlSeconds: config.grantMaxTtlSeconds,
      now,
    });
    if (requests.length > claims.max_tokens) {
      throw new HttpError(403, "ERR_GRANT_TOO_MANY", "more token requests than the grant allows");
    }

    // 3. Match each request to an issuing key; any key above the grant's threshold refuses the whole request.
    const ring = keyRingFor(deps);
    const live = issuingKeys(await ring.all(now), now);
    const plan: Planned[] = [];
    for (const request of requests) {
      if (request === undefined) {
        plan.push({ request, key: undefined }); // another token type: answered null
        continue;
      }
      const key = live.find((k) => k.truncatedId === request.truncatedTokenKeyId);
      if (key !== undefined && key.threshold > claims.age_over) {
        throw new HttpError(
          403,
          "ERR_GRANT_THRESHOLD",
          "a requested key's age threshold is above the grant's",
        );
      }
      plan.push({ request, key });
    }
    if (!batch && plan[0]?.key === undefined) {
      throw new HttpError(422, "ERR_UNKNOWN_KEY", "no issuing key has this truncated key id");
    }
    const signable = plan.filter((p) => p.key !== undefined).length;
    if (signable === 0) throw new HttpError(422, "ERR_UNKNOWN_KEY", "no request names an issuing key");

    // 4. Spend the grant, then the quota: only then sign.
    if (!(await stores.grants.useOnce(`${provider.id}:${claims.jti}`, claims.exp + 60, now))) {
      throw new HttpError(401, "ERR_GRANT_REPLAYED", "this grant was used already");
    }
    if (!(await stores.providers.consumeQuota(provider.id, period(now), signable, provider.monthlyQuota))) {
      throw new HttpError(403, "ERR_PROVIDER_QUOTA", "the provider's monthly quota is used up");
    }

    // 5. Sign.
    const responses: (Uint8Array | null)[] = [];
    for (const { request, key } of plan) {
      if (key === undefined || request === undefined) {
        responses.push(null);
        continue;
      }
      try {
        const signer = await ring.signer(key);
        responses.push(new TokenResponse(signer.sign(request.blindedMsg)).encode());
      } catch (error) {
        if (error instanceof IssuerError && error.isClientError) {
          if (!batch) throw new HttpError(422, "ERR_BLINDED_MSG", "blinded_msg is not a valid input");
          responses.push(null);
          continue;
        }
        throw error;
      }
    }
    const issued = responses.filter((r) => r !== null).length;
    log("info", "issued", { provider: provider.id, requested: plan.length, issued });
    if (!batch) return binary(200, responses[0] as Uint8Array, TOKEN_RESPONSE_MEDIA_TYPE);
    return binary(
      issued === responses.length ? 200 : 206,
      encodeBatchResponse(responses),
      GENERIC_BATCH_RESPONSE_MEDIA_TYPE,
    );
  }, source);
}

export const handler = createIssueHandler(signingDepsFromEnv);
