import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import {
  type GrantErrorMessage,
  type GrantKey,
  type GrantMessage,
  grantErrorFor,
  grantMessageFor,
  signGrant,
} from "@blindgate/sdk/provider";
import { parseOpenid4vpAuthorizationResponse } from "@openid4vc/openid4vp";
import * as z from "zod";
import { annexCRequest, ISO_MDOC_PROTOCOL, openAnnexCResponse } from "./annex-c.js";
import { AV_CREDENTIAL_ID } from "./constants.js";
import { EuAvError, type WalletAnswerCode } from "./errors.js";
import type { RateLimiter } from "./rate-limit.js";
import {
  AV_SCHEME,
  bandElements,
  byReferenceUri,
  DC_API_PROTOCOL,
  dcApiRequest,
  parseBand,
  redirectClientId,
  redirectRequest,
  requestedElements,
  unsignedRequestObject,
  withScheme,
} from "./request.js";
import { dcApiSessionTranscript, redirectSessionTranscript } from "./session-transcript.js";
import type { PresentationSession, SessionStore } from "./sessions.js";
import type { TrustedIacas } from "./trust.js";
import { type AgeResult, verifyAgePresentation } from "./verify-presentation.js";

/*
 * The provider's service functions. They take their stores and keys as parameters (EuAvDeps), so the Lambda
 * handler, the local server and the tests run the same code. The flow:
 *
 *   openSession         the page's script (after the wallet opened /verify): a session with a fresh nonce and state,
 *                       at most sessionsPerMinute per address; its request as links (av://, openid4vp://, by
 *                       reference), a short link for the QR code, and the two DC API requests
 *   receiveDirectPost   the holder's wallet app POSTs vp_token + state: claim the session (once), verify, settle
 *   receiveWalletError  ... or an Authorization Error Response (declined): the session ends refused at once
 *   receiveDcApi        the page got an answer from navigator.credentials.get (org-iso-mdoc or OpenID4VP): the
 *                       same, with that protocol's transcript
 *   collectResult       the page polls; once settled it gets the message for the wallet, once: a grant signed now
 *                       with the provider SDK (age_over = the highest threshold met, nothing else), or an error code
 *
 * The provider never sees a site: the wallet opens /verify with its own origin and a state only.
 */

export interface EuAvConfig {
  /** The provider id registered with the gateway (grants' iss). */
  readonly providerId: string;
  /** The gateway's issuer name (grants' aud). */
  readonly gatewayIssuer: string;
  /** Wallet origins this provider hands grants to. */
  readonly walletOrigins: readonly string[];
  /** Where browsers and wallet apps reach this provider (https in production), without a trailing slash. */
  readonly publicUrl: string;
  /** Age thresholds this provider attests (default 13, 15, 16, 18, 21). */
  readonly thresholds: readonly number[];
  /** Tokens per grant. */
  readonly maxTokens: number;
  readonly grantTtlSeconds: number;
  /** How long a presentation request may be answered. */
  readonly sessionTtlSeconds: number;
  /** Verification sessions one client address may open per minute. */
  readonly sessionsPerMinute: number;
  /** Bands [from, below) a wallet may ask for. */
  readonly bands: readonly { readonly from: number; readonly below: number }[];
  /** Local mode only: npm start's TEST wallet, linked from the page. */
  readonly testWalletUrl?: string | undefined;
}

export interface EuAvDeps {
  readonly config: EuAvConfig;
  readonly trust: TrustedIacas;
  readonly sessions: SessionStore;
  readonly grantKey: GrantKey;
  /** Session creation per client address (rate-limit.ts), made once per process or container. */
  readonly sessionLimiter: RateLimiter;
  /** Current time (tests move it). */
  readonly now: () => Date;
}

/** What the wallet gets, through the page: the wallet origin to post to and the message. */
export interface Handoff {
  readonly walletOrigin: string;
  readonly message: GrantMessage | GrantErrorMessage;
  /** For the page only, when the holder's app answered an error: its OAuth error code and description. */
  readonly walletError?: { readonly error: string; readonly description?: string };
}

export const DEFAULT_THRESHOLDS = [13, 15, 16, 18, 21] as const;

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
const random = () => randomBytes(16).toString("base64url");
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export const responseUri = (config: EuAvConfig) => `${config.publicUrl}/response`;
export const publicOrigin = (config: EuAvConfig) => new URL(config.publicUrl).origin;

/** Where a wallet app on this device, or on another one, finds the request (see request.ts). */
export interface RequestLinks {
  /** Same device, the profile's custom scheme: `av://?<request by value>`. */
  readonly av: string;
  /** The same request under OpenID4VP's own scheme, for apps that register only that. */
  readonly openid4vp: string;
  /** The request by reference (`request_uri`, an unsigned request object), for apps that fetch it. */
  readonly byReference: string;
  /** Other device: a short https link (the QR code) that sends the phone's browser on to the `av://` request. */
  readonly crossDevice: string;
}

/** A new presentation session for a wallet's verify page: refused past the per-address rate. */
export async function openSession(
  deps: EuAvDeps,
  input: { walletOrigin: string; walletState: string; address: string; band?: string | undefined },
): Promise<{ id: string; pollSecret: string; links: RequestLinks; dcApi: DcApiRequest[] }> {
  const { config } = deps;
  checkWalletOrigin(config, input.walletOrigin);
  const band = input.band === undefined ? undefined : configuredBand(config, input.band);
  const now = seconds(deps.now());
  if (!deps.sessionLimiter.take(input.address, now)) {
    throw new EuAvError(
      "ERR_RATE_LIMITED",
      "too many verification requests from this address; wait a minute",
    );
  }
  const id = random();
  const pollSecret = random();
  const nonce = random();
  const isoMdoc = await annexCRequest({
    nonce: new Uint8Array(Buffer.from(nonce, "base64url")),
    elements: band === undefined ? requestedElements(config.thresholds) : bandElements(band),
  });
  const session: PresentationSession = {
    id,
    pollHash: sha256(pollSecret),
    nonce,
    walletOrigin: input.walletOrigin,
    walletState: input.walletState,
    expiresAt: now + config.sessionTtlSeconds,
    status: "pending",
    annexC: isoMdoc.secret,
    ...(band !== undefined ? { band } : {}),
  };
  await deps.sessions.create(session);
  return {
    id,
    pollSecret,
    links: await requestLinks(config, session),
    // Both DC API requests; the browser offers the person the wallets that speak one of them (the profile's
    // default is org-iso-mdoc, ISO 18013-7 Annex C).
    dcApi: [isoMdoc.request, dcApiRequest({ nonce, thresholds: config.thresholds, band })],
  };
}

/** One entry of navigator.credentials.get({ digital: { requests } }): the browser offers what its wallets speak. */
export interface DcApiRequest {
  readonly protocol: string;
  readonly data: unknown;
}

/** The wallet origin must be one this provider serves (the page and the session both check it). */
export function checkWalletOrigin(config: EuAvConfig, walletOrigin: string): void {
  if (!config.walletOrigins.includes(walletOrigin)) {
    throw new EuAvError("ERR_WALLET_ORIGIN", "this provider does not serve that wallet");
  }
}

async function requestLinks(config: EuAvConfig, session: PresentationSession): Promise<RequestLinks> {
  const request = await sessionRequest(config, session);
  return {
    av: withScheme(request.uri, AV_SCHEME),
    openid4vp: request.uri,
    byReference: byReferenceUri(responseUri(config), requestObjectUri(config, session.id)),
    crossDevice: `${config.publicUrl}/r/${session.id}`,
  };
}

const sessionRequest = (config: EuAvConfig, session: PresentationSession) =>
  redirectRequest({
    responseUri: responseUri(config),
    nonce: session.nonce,
    state: session.id,
    thresholds: config.thresholds,
    band: session.band,
  });

/** A band the wallet asks for ("13-16"), if this provider attests it. */
function configuredBand(config: EuAvConfig, text: string): { from: number; below: number } {
  const asked = parseBand(text);
  const band = config.bands.find((b) => b.from === asked.from && b.below === asked.below);
  if (band === undefined) throw new EuAvError("ERR_BAND", "this provider does not attest that band");
  return { from: band.from, below: band.below };
}

export const requestObjectUri = (config: EuAvConfig, id: string) => `${config.publicUrl}/request/${id}`;

/** A session still waiting for its answer (the short link and the request object serve only these). */
async function pendingSession(deps: EuAvDeps, id: string): Promise<PresentationSession> {
  const session = await deps.sessions.get(id);
  if (session === undefined) throw new EuAvError("ERR_SESSION_UNKNOWN", "no such presentation session");
  if (session.status !== "pending")
    throw new EuAvError("ERR_SESSION_USED", "this request was answered already");
  if (session.expiresAt < seconds(deps.now())) {
    throw new EuAvError("ERR_SESSION_EXPIRED", "the presentation request has expired");
  }
  return session;
}

/** The short link's target: the `av://` request by value of a pending session. */
export async function crossDeviceTarget(deps: EuAvDeps, id: string): Promise<string> {
  const session = await pendingSession(deps, id);
  return withScheme((await sessionRequest(deps.config, session)).uri, AV_SCHEME);
}

/** The request object of a pending session, for `request_uri` (an unsigned JWT, request.ts). */
export async function requestObject(deps: EuAvDeps, id: string): Promise<string> {
  const session = await pendingSession(deps, id);
  return unsignedRequestObject((await sessionRequest(deps.config, session)).payload);
}

/** The holder's direct_post answer (vp_token, state). Returns the threshold met; refusals throw EuAvError. */
export async function receiveDirectPost(
  deps: EuAvDeps,
  body: { vp_token: string; state: string },
): Promise<{ ageOver: number }> {
  const session = await claim(deps, body.state);
  return settle(deps, session, async () => {
    const request = await sessionRequest(deps.config, session);
    let presentations: Record<string, unknown[]>;
    try {
      const parsed = await parseOpenid4vpAuthorizationResponse({
        authorizationResponse: { vp_token: body.vp_token, state: body.state },
        authorizationRequestPayload: request.payload,
        callbacks: {
          decryptJwe: async () => {
            throw new Error("unencrypted responses only");
          },
          verifyJwt: async () => {
            throw new Error("no JWT responses");
          },
        },
      });
      if (parsed.type !== "dcql") throw new Error("not a DCQL response");
      presentations = parsed.dcql.presentations;
    } catch (cause) {
      throw new EuAvError("ERR_VP_TOKEN", "vp_token is not a DCQL response to this request", { cause });
    }
    const transcript = await redirectSessionTranscript({
      clientId: redirectClientId(responseUri(deps.config)),
      nonce: session.nonce,
      responseUri: responseUri(deps.config),
    });
    return verifyAgePresentation(onePresentation(presentations), {
      trust: deps.trust,
      sessionTranscript: transcript,
      thresholds: deps.config.thresholds,
      band: session.band,
      now: deps.now(),
    });
  });
}

/**
 * The holder's Authorization Error Response (error, optional error_description, state): the session ends refused
 * at once, so the page can tell the person (and the wallet) now instead of waiting for the request to expire.
 * `access_denied` (RFC 6749 §4.1.2.1, what wallets send when the person declines) is ERR_WALLET_DECLINED; any other
 * error is ERR_WALLET_ERROR with the app's error code kept beside it for the page.
 */
export async function receiveWalletError(
  deps: EuAvDeps,
  body: { error: string; error_description?: string | undefined; state: string },
): Promise<void> {
  const session = await claim(deps, body.state);
  const code: WalletAnswerCode = body.error === "access_denied" ? "ERR_WALLET_DECLINED" : "ERR_WALLET_ERROR";
  // The description is the app's free text: kept only when it is RFC 6749's charset, shortened, shown as text.
  const description = body.error_description?.slice(0, 300);
  await deps.sessions.settle(session.id, {
    code,
    walletError: body.error,
    ...(description !== undefined && OAUTH_TEXT.test(description)
      ? { walletErrorDescription: description }
      : {}),
  });
}

/** RFC 6749's charset of error and error_description: printable ASCII without `"` and `\`. */
export const OAUTH_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;

const openid4vpDcData = z.object({
  vp_token: z.record(z.string().max(64), z.union([z.string(), z.array(z.string())])),
});

/**
 * The page's Digital Credentials API answer, for the protocol the browser chose among the page's requests; returns
 * the wallet handoff at once (the page is waiting).
 */
export async function receiveDcApi(
  deps: EuAvDeps,
  body: { id: string; secret: string; protocol: string; data: unknown },
): Promise<Handoff> {
  const reader = DC_API_READERS[body.protocol];
  if (reader === undefined) throw new EuAvError("ERR_BAD_REQUEST", "not a protocol this page asked with");
  await pageSession(deps, body.id, body.secret);
  const session = await claim(deps, body.id);
  await settle(deps, session, async () => {
    const { deviceResponse, sessionTranscript } = await reader(deps, session, body.data);
    return verifyAgePresentation(deviceResponse, {
      trust: deps.trust,
      sessionTranscript,
      thresholds: deps.config.thresholds,
      band: session.band,
      now: deps.now(),
    });
  }).catch((error: unknown) => {
    if (!(error instanceof EuAvError)) throw error;
  });
  const result = await collectResult(deps, body);
  if (result === "pending") throw new EuAvError("ERR_SESSION_USED", "the session is being answered already");
  return result;
}

type DcApiReader = (
  deps: EuAvDeps,
  session: PresentationSession,
  data: unknown,
) => Promise<{ deviceResponse: Uint8Array; sessionTranscript: Uint8Array }>;

/** Per DC API protocol: the DeviceResponse and the SessionTranscript it must be signed over. */
const DC_API_READERS: Readonly<Record<string, DcApiReader>> = {
  [ISO_MDOC_PROTOCOL]: async (deps, session, data) => {
    if (session.annexC === undefined)
      throw new EuAvError("ERR_ENCRYPTED_RESPONSE", "no org-iso-mdoc request");
    return openAnnexCResponse(session.annexC, publicOrigin(deps.config), data);
  },
  [DC_API_PROTOCOL]: async (deps, session, data) => {
    const parsed = openid4vpDcData.safeParse(data);
    if (!parsed.success) throw new EuAvError("ERR_VP_TOKEN", "the answer holds no vp_token object");
    const presentations = Object.fromEntries(
      Object.entries(parsed.data.vp_token).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]),
    );
    return {
      deviceResponse: onePresentation(presentations),
      sessionTranscript: await dcApiSessionTranscript({
        origin: publicOrigin(deps.config),
        nonce: session.nonce,
      }),
    };
  },
};

/** The page's poll: "pending", or the handoff for the wallet (once). */
export async function collectResult(
  deps: EuAvDeps,
  body: { id: string; secret: string },
): Promise<Handoff | "pending"> {
  const session = await pageSession(deps, body.id, body.secret);
  if (session.status === "pending" || session.status === "checking") {
    if (session.status === "pending" && session.expiresAt < seconds(deps.now())) {
      throw new EuAvError("ERR_SESSION_EXPIRED", "the presentation request has expired");
    }
    return "pending";
  }
  if (!(await deps.sessions.collect(session.id))) {
    throw new EuAvError("ERR_SESSION_USED", "this result was collected already");
  }
  const { walletOrigin, walletState } = session;
  if (session.status === "verified" && session.ageOver !== undefined) {
    const grant = await signGrant(deps.grantKey, {
      issuer: deps.config.gatewayIssuer,
      providerId: deps.config.providerId,
      ageOver: session.ageOver,
      // a band's two bounds, when both were proved (verify-presentation.ts, bandFromClaims)
      ...(session.ageBelow !== undefined && session.belowUntil !== undefined
        ? { ageBelow: session.ageBelow, belowUntil: session.belowUntil }
        : {}),
      maxTokens: deps.config.maxTokens,
      ttlSeconds: deps.config.grantTtlSeconds,
    });
    return { walletOrigin, message: grantMessageFor(walletState, grant) };
  }
  const message = grantErrorFor(walletState, walletCode(session.code ?? "ERR_REFUSED"));
  if (session.walletError === undefined) return { walletOrigin, message };
  const walletError = {
    error: session.walletError,
    ...(session.walletErrorDescription !== undefined ? { description: session.walletErrorDescription } : {}),
  };
  return { walletOrigin, message, walletError };
}

/** The code the wallet gets: UNDER_AGE as the wallet knows it, the provider's own code otherwise. */
export function walletCode(code: string): string {
  return code === "ERR_UNDER_AGE" ? "UNDER_AGE" : code;
}

async function pageSession(deps: EuAvDeps, id: string, secret: string): Promise<PresentationSession> {
  const session = await deps.sessions.get(id);
  const expected = Buffer.from(session?.pollHash ?? "0".repeat(64), "hex");
  const given = Buffer.from(sha256(secret), "hex");
  if (session === undefined || !timingSafeEqual(expected, given)) {
    throw new EuAvError("ERR_SESSION_UNKNOWN", "no such presentation session");
  }
  return session;
}

async function claim(deps: EuAvDeps, id: string): Promise<PresentationSession> {
  const session = await deps.sessions.get(id);
  if (session === undefined) throw new EuAvError("ERR_SESSION_UNKNOWN", "no such presentation session");
  const now = seconds(deps.now());
  if (!(await deps.sessions.claim(id, now))) {
    if (session.status === "pending" && session.expiresAt < now) {
      throw new EuAvError("ERR_SESSION_EXPIRED", "the presentation request has expired");
    }
    throw new EuAvError(
      "ERR_SESSION_USED",
      "this request was answered already (nonce and state are single use)",
    );
  }
  return session;
}

/** Run the verification for a claimed session and record its outcome (a refusal keeps its code). */
async function settle(
  deps: EuAvDeps,
  session: PresentationSession,
  verify: () => Promise<AgeResult>,
): Promise<AgeResult> {
  try {
    const result = await verify();
    await deps.sessions.settle(session.id, {
      ageOver: result.ageOver,
      ...(result.ageBelow !== undefined && result.belowUntil !== undefined
        ? { ageBelow: result.ageBelow, belowUntil: result.belowUntil }
        : {}),
    });
    return result;
  } catch (error) {
    const code = error instanceof EuAvError ? error.code : "ERR_MDOC_MALFORMED";
    await deps.sessions.settle(session.id, { code });
    throw error instanceof EuAvError
      ? error
      : new EuAvError("ERR_MDOC_MALFORMED", "the presentation could not be read", { cause: error });
  }
}

/** Exactly one presentation, for our one credential query, as base64url bytes. */
function onePresentation(presentations: Record<string, unknown[]>): Uint8Array {
  const keys = Object.keys(presentations);
  const list = presentations[AV_CREDENTIAL_ID];
  if (keys.length !== 1 || list === undefined || list.length !== 1 || typeof list[0] !== "string") {
    throw new EuAvError("ERR_VP_TOKEN", `vp_token must hold one presentation for "${AV_CREDENTIAL_ID}"`);
  }
  const text = list[0];
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(text) || text.length > 64_000) {
    throw new EuAvError("ERR_VP_TOKEN", "the presentation is not base64url");
  }
  return new Uint8Array(Buffer.from(text, "base64url"));
}
