import * as z from "zod/mini";

/*
 * Every message between a site page, the wallet and a provider page (window.postMessage), as zod schemas shared
 * by both ends. Anything that does not parse is ignored: a page can receive messages from anyone.
 *
 *   wallet   -> opener   { type: "blindgate:wallet-ready" }                        targetOrigin "*" (carries nothing)
 *   site     -> wallet   { type: "blindgate:token-request", minAge, ageBelow?, nonce, noDelay? } to the wallet origin
 *   wallet   -> site     { type: "blindgate:request-received", nonce }             targetOrigin = the site's origin
 *   wallet   -> site     { type: "blindgate:token", nonce, token, ageOver, ageBelow? } to the site's origin
 *   wallet   -> site     { type: "blindgate:error", nonce, code }                  targetOrigin = the site's origin
 *   wallet   -> site     { type: "blindgate:progress", nonce, wait, leftMs }       targetOrigin = the site's origin
 *   site     -> wallet   { type: "blindgate:outcome", nonce, ok, code? }           targetOrigin = wallet origin
 *   provider -> wallet   { type: "blindgate:grant", state, grant }                 in the return page's URL fragment
 *   provider -> wallet   { type: "blindgate:grant-error", state, code }            in the return page's URL fragment
 *
 * The wallet opens the provider's page with no opener (the provider must not reach the wallet's window, nor through
 * it the site's); the provider hands its answer back by navigating to the wallet's return page with the answer in
 * the URL fragment (never sent to a server: `grantFragment` / `readGrantFragment`), and that page passes it to the
 * waiting wallet window over a BroadcastChannel of the wallet's origin (GRANT_CHANNEL).
 *
 * A site page sends its request once the wallet says "ready", and also at once: a wallet window that is already
 * open (the person clicked again) does not load again, so it never says "ready"; it acknowledges the request
 * instead ("request-received"), and a newer request replaces the one it was showing. After posting the token to
 * its proof endpoint, the page reports the outcome, and only then does the wallet forget the token: a proof
 * endpoint that fails does not cost the person a token.
 */

const base64url = (min: number, max: number) =>
  z.string().check(z.minLength(min), z.maxLength(max), z.regex(/^[A-Za-z0-9_-]+={0,2}$/));
const nonce = base64url(16, 64);
const state = base64url(8, 128);
const age = z.int().check(z.minimum(1), z.maximum(150));
const code = z.string().check(z.regex(/^[A-Z0-9_]{1,48}$/));

/**
 * Why the wallet answered a token request without a token. NOT_PROVEN is one code for every answer the person gave
 * or that their age gave (cancelled, under the age asked, an adult at a room for teens): a site must not tell them
 * apart, and could not trust them anyway (the wallet's word is not signed; one line of script fakes it).
 */
export const WALLET_ERROR_CODES = ["NOT_PROVEN", "NO_PROVIDER", "UNAVAILABLE"] as const;
export type WalletErrorCode = (typeof WALLET_ERROR_CODES)[number];
/** Codes older wallets sent for what is now NOT_PROVEN; read as NOT_PROVEN. */
export const LEGACY_NOT_PROVEN_CODES = ["CANCELLED", "UNDER_AGE"] as const;

/** The wallet has loaded and listens (carries nothing, so it may go to any opener). */
export const walletReady = z.strictObject({ type: z.literal("blindgate:wallet-ready") });
/**
 * A site page asks for a token proving `minAge`. `noDelay: true` (prove's `skipFirstUseDelay`) asks the wallet not
 * to hold back a first proof right after a fresh age check (docs/threat-model.md says what that costs); absent
 * otherwise, so that older wallets read the message as before.
 */
export const tokenRequest = z
  .strictObject({
    type: z.literal("blindgate:token-request"),
    minAge: age,
    /** An age band: the person is below this age too ([minAge, ageBelow)). Absent: a threshold, "minAge or older". */
    ageBelow: z.optional(age),
    nonce,
    noDelay: z.optional(z.literal(true)),
  })
  .check(z.refine((m) => m.ageBelow === undefined || m.ageBelow > m.minAge, "ageBelow must be above minAge"));
/** The wallet took the request (sent also by a wallet window that was already open). */
export const requestReceived = z.strictObject({ type: z.literal("blindgate:request-received"), nonce });
/** The wallet's answer: one token, of the key interval [ageOver, ageBelow) (no ageBelow: a threshold). */
export const tokenAnswer = z.strictObject({
  type: z.literal("blindgate:token"),
  nonce,
  token: base64url(16, 1024),
  ageOver: age,
  ageBelow: z.optional(age),
});
/** The wallet's answer without a token. */
export const walletError = z.strictObject({
  type: z.literal("blindgate:error"),
  nonce,
  code: z.enum([...WALLET_ERROR_CODES, ...LEGACY_NOT_PROVEN_CODES]),
});
/** Why the wallet makes the person wait before asking: the first use after a fresh age check, or a site that asks again at once. */
export const WALLET_WAITS = ["first-use", "paced"] as const;
export type WalletWait = (typeof WALLET_WAITS)[number];
/**
 * The wallet is waiting before it asks the person (`wait`), `leftMs` more: sent about once a second so that the
 * site's tab can say why nothing happens yet. It says nothing the site could not time by itself.
 */
export const walletProgress = z.strictObject({
  type: z.literal("blindgate:progress"),
  nonce,
  wait: z.enum(WALLET_WAITS),
  leftMs: z.int().check(z.minimum(0), z.maximum(600_000)),
});
/**
 * What the site's proof endpoint did with the token: `ok`, or the site's error code (`GATEWAY_UNAVAILABLE`,
 * `TOKEN_REJECTED`...), `NETWORK` when it could not be reached, `HTTP_<status>` when it said nothing readable.
 */
export const proofOutcome = z.strictObject({
  type: z.literal("blindgate:outcome"),
  nonce,
  ok: z.boolean(),
  code: z.optional(code),
});
/** A provider's grant for the wallet that opened it. */
export const grantMessage = z.strictObject({
  type: z.literal("blindgate:grant"),
  state,
  grant: z.string().check(z.maxLength(4096), z.regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)),
});
/** A provider's refusal (`UNDER_AGE`...). */
export const grantError = z.strictObject({
  type: z.literal("blindgate:grant-error"),
  state,
  code: z.string().check(z.regex(/^[A-Z_]{1,32}$/)),
});

/** The BroadcastChannel of the wallet's origin on which its return page hands a provider's answer over. */
export const GRANT_CHANNEL = "blindgate-grant";
/** The wallet window took the answer of `state`: the return page may close. */
export const grantTaken = z.strictObject({ type: z.literal("blindgate:grant-taken"), state });

/**
 * A provider's answer as a URL fragment (without "#"): `state=…&grant=…` or `state=…&code=…`.
 *
 * @example
 * ```ts
 * location.replace(`${walletReturn}#${grantFragment({ type: "blindgate:grant", state, grant })}`);
 * ```
 */
export function grantFragment(message: GrantMessage | GrantErrorMessage): string {
  const fields: Record<string, string> =
    message.type === "blindgate:grant"
      ? { state: message.state, grant: message.grant }
      : { state: message.state, code: message.code };
  return new URLSearchParams(fields).toString();
}

/**
 * The provider's answer carried by a URL fragment (with or without "#"), checked with the same schemas as a message;
 * undefined for anything else. Never throws.
 *
 * @example
 * ```ts
 * const answer = readGrantFragment(location.hash);
 * ```
 */
export function readGrantFragment(fragment: string): GrantMessage | GrantErrorMessage | undefined {
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(fragment.replace(/^#/, ""));
  } catch {
    return undefined;
  }
  const keys = [...params.keys()].sort().join(",");
  const state = params.get("state");
  if (keys === "grant,state")
    return readMessage(grantMessage, { type: "blindgate:grant", state, grant: params.get("grant") });
  if (keys === "code,state")
    return readMessage(grantError, { type: "blindgate:grant-error", state, code: params.get("code") });
  return undefined;
}

export type WalletReady = z.infer<typeof walletReady>;
export type TokenRequestMessage = z.infer<typeof tokenRequest>;
export type RequestReceived = z.infer<typeof requestReceived>;
export type TokenAnswer = z.infer<typeof tokenAnswer>;
export type WalletErrorMessage = z.infer<typeof walletError>;
export type ProofOutcome = z.infer<typeof proofOutcome>;
export type WalletProgress = z.infer<typeof walletProgress>;
export type GrantMessage = z.infer<typeof grantMessage>;
export type GrantErrorMessage = z.infer<typeof grantError>;

/**
 * The message if it parses with `schema`, else undefined. Never throws.
 *
 * @example
 * ```ts
 * const answer = readMessage(tokenAnswer, event.data); // undefined for anything else
 * ```
 */
export function readMessage<T>(schema: z.ZodMiniType<T>, data: unknown): T | undefined {
  const result = schema.safeParse(data);
  return result.success ? result.data : undefined;
}

/**
 * A random base64url string of `bytes` random bytes (nonces and states).
 *
 * @example
 * ```ts
 * const nonce = randomId(); // 22 characters
 * ```
 */
export function randomId(bytes = 16): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  let s = "";
  for (const b of raw) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
