import { createOpenid4vpAuthorizationRequest } from "@openid4vc/openid4vp";
import { AV_CREDENTIAL_ID, AV_DOCTYPE, AV_NAMESPACE, COSE_ES256 } from "./constants.js";

/*
 * The presentation request (OpenID for Verifiable Presentations 1.0), unsigned, by value:
 *
 *   client_id      redirect_uri:<response_uri>   (§5.9.3: the verifier is identified by where answers go;
 *                                                 such a request is never signed)
 *   response_type  vp_token
 *   response_mode  direct_post                   (§8.2: the wallet POSTs vp_token and state to response_uri)
 *   nonce, state   fresh random values, single use (sessions.ts)
 *   dcql_query     one mso_mdoc credential of doctype eu.europa.ec.av.1, age_over_NN claims only
 *
 * The DCQL query lists one claim per configured threshold and claim_sets from "all of them" down to each one
 * alone, so a wallet holding only age_over_18 (the blueprint's mandatory element) still matches, and no other
 * element is ever asked for. The same payload, with response_mode dc_api and no client_id, is the Digital
 * Credentials API request (protocol "openid4vp-v1-unsigned"; the origin stands for the client).
 * @openid4vc/openid4vp checks the payload and writes the openid4vp:// URI.
 */

export const DC_API_PROTOCOL = "openid4vp-v1-unsigned";

/**
 * The EU AV profile's scheme (av-doc-technical-specification, Annex A.5: "at least a custom URL scheme av:// MUST
 * be supported"), carrying the same request by value as `openid4vp://`.
 */
export const AV_SCHEME = "av://";
const OPENID4VP_SCHEME = "openid4vp://";

/** The same request under another scheme (`av://`): only the part before the query changes. */
export function withScheme(openid4vpUri: string, scheme: string): string {
  if (!openid4vpUri.startsWith(OPENID4VP_SCHEME)) throw new TypeError("not an openid4vp:// request");
  return scheme + openid4vpUri.slice(OPENID4VP_SCHEME.length);
}

/**
 * The request by reference (RFC 9101 §5.2, OpenID4VP 1.0 §5.10): client_id and request_uri only; the app GETs the
 * request object there. The client_id must equal the object's (a redirect_uri: client id prefix).
 */
export function byReferenceUri(responseUri: string, requestUri: string): string {
  const query = new URLSearchParams({ client_id: redirectClientId(responseUri), request_uri: requestUri });
  return `${OPENID4VP_SCHEME}?${query}`;
}

/** Media type of a request object (RFC 9101 §10.2). */
export const REQUEST_OBJECT_TYPE = "application/oauth-authz-req+jwt";

/**
 * The request object for `request_uri`: an unsecured JWT (RFC 7519 §6, alg "none"), because a redirect_uri: client
 * id cannot sign (OpenID4VP 1.0 §5.9.3: the wallet has no key to check it with); what protects the request is the
 * TLS of request_uri, as for the request by value. The payload is exactly the by-value request's.
 */
export function unsignedRequestObject(payload: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "oauth-authz-req+jwt" })}.${part(payload)}.`;
}

/** "13-16" → { from: 13, below: 16 } ([from, below), as the gateway's BLINDGATE_BANDS); NaN when it is not one. */
export function parseBand(text: string): { from: number; below: number } {
  const m = /^(\d{1,3})-(\d{1,3})$/.exec(text.trim());
  return m === null ? { from: Number.NaN, below: Number.NaN } : { from: Number(m[1]), below: Number(m[2]) };
}
/**
 * For a band [from, below): exactly its two bounds, age_over_<from> (true: at least from) and age_over_<below>
 * (false: under below), never more.
 */
export function bandElements(band: { from: number; below: number }): string[] {
  return [`age_over_${band.below}`, `age_over_${band.from}`];
}

/** The age_over_NN elements asked for, highest first: one per configured threshold, nothing else. */
export function requestedElements(thresholds: readonly number[]): string[] {
  return [...new Set(thresholds)].sort((a, b) => b - a).map((t) => `age_over_${t}`);
}

/**
 * The DCQL query for the configured thresholds, or for a band's two bounds (one claim set: both, so a wallet that
 * cannot prove the pair answers nothing rather than half of it).
 */
export function dcqlQuery(thresholds: readonly number[], band?: { from: number; below: number }) {
  const sorted =
    band === undefined ? [...new Set(thresholds)].sort((a, b) => b - a) : [band.below, band.from];
  const claims = sorted.map((t) => ({
    id: `age_over_${t}`,
    path: [AV_NAMESPACE, `age_over_${t}`],
    intent_to_retain: false,
  }));
  const ids = claims.map((c) => c.id);
  return {
    credentials: [
      {
        id: AV_CREDENTIAL_ID,
        format: "mso_mdoc",
        meta: { doctype_value: AV_DOCTYPE },
        claims,
        claim_sets: band !== undefined || ids.length === 1 ? [ids] : [ids, ...ids.map((id) => [id])],
      },
    ],
  };
}

const CLIENT_METADATA = {
  vp_formats_supported: {
    mso_mdoc: {
      issuerauth_alg_values: [COSE_ES256] as [number],
      deviceauth_alg_values: [COSE_ES256] as [number],
    },
  },
};

/** client_id of a redirect (direct_post) request answered at `responseUri`. */
export function redirectClientId(responseUri: string): string {
  return `redirect_uri:${responseUri}`;
}

const noJwt = {
  signJwt: async () => {
    throw new Error("unsigned requests only");
  },
  encryptJwe: async () => {
    throw new Error("unencrypted requests only");
  },
};

export interface RequestInput {
  responseUri: string;
  nonce: string;
  state: string;
  thresholds: readonly number[];
  band?: { from: number; below: number } | undefined;
}

/** The openid4vp:// request URI (same device: a link; other device: a QR code and the text, pages.ts) and its payload. */
export async function redirectRequest(input: RequestInput) {
  const authorizationRequestPayload = {
    response_type: "vp_token" as const,
    client_id: redirectClientId(input.responseUri),
    response_mode: "direct_post" as const,
    response_uri: input.responseUri,
    nonce: input.nonce,
    state: input.state,
    dcql_query: dcqlQuery(input.thresholds, input.band),
    client_metadata: CLIENT_METADATA,
  };
  const created = await createOpenid4vpAuthorizationRequest({
    authorizationRequestPayload,
    callbacks: noJwt,
  });
  return { uri: created.authorizationRequest, payload: created.authorizationRequestPayload };
}

/** The Digital Credentials API request data (navigator.credentials.get({ digital: { requests: [...] } })). */
export function dcApiRequest(input: Omit<RequestInput, "responseUri" | "state">) {
  return {
    protocol: DC_API_PROTOCOL,
    data: {
      response_type: "vp_token" as const,
      response_mode: "dc_api" as const,
      nonce: input.nonce,
      dcql_query: dcqlQuery(input.thresholds, input.band),
      client_metadata: CLIENT_METADATA,
    },
  };
}
