import * as z from "zod/mini";

/*
 * Every message between a site page, the wallet and a provider page (window.postMessage), as zod schemas shared
 * by both ends. Anything that does not parse is ignored: a page can receive messages from anyone.
 *
 *   wallet   -> opener   { type: "blindgate:wallet-ready" }                        targetOrigin "*" (carries nothing)
 *   site     -> wallet   { type: "blindgate:token-request", minAge, nonce }        targetOrigin = wallet origin
 *   wallet   -> site     { type: "blindgate:token", nonce, token, ageOver }        targetOrigin = the site's origin
 *   wallet   -> site     { type: "blindgate:error", nonce, code }
 *   provider -> wallet   { type: "blindgate:grant", state, grant }                 targetOrigin = wallet origin
 *   provider -> wallet   { type: "blindgate:grant-error", state, code }
 */

const base64url = (min: number, max: number) =>
  z.string().check(z.minLength(min), z.maxLength(max), z.regex(/^[A-Za-z0-9_-]+={0,2}$/));
const nonce = base64url(16, 64);
const state = base64url(8, 128);
const age = z.int().check(z.minimum(1), z.maximum(150));

export const WALLET_ERROR_CODES = ["CANCELLED", "NO_PROVIDER", "UNAVAILABLE", "UNDER_AGE"] as const;
export type WalletErrorCode = (typeof WALLET_ERROR_CODES)[number];

export const walletReady = z.strictObject({ type: z.literal("blindgate:wallet-ready") });
export const tokenRequest = z.strictObject({
  type: z.literal("blindgate:token-request"),
  minAge: age,
  nonce,
});
export const tokenAnswer = z.strictObject({
  type: z.literal("blindgate:token"),
  nonce,
  token: base64url(16, 1024),
  ageOver: age,
});
export const walletError = z.strictObject({
  type: z.literal("blindgate:error"),
  nonce,
  code: z.enum(WALLET_ERROR_CODES),
});
export const grantMessage = z.strictObject({
  type: z.literal("blindgate:grant"),
  state,
  grant: z.string().check(z.maxLength(4096), z.regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)),
});
export const grantError = z.strictObject({
  type: z.literal("blindgate:grant-error"),
  state,
  code: z.string().check(z.regex(/^[A-Z_]{1,32}$/)),
});

export type WalletReady = z.infer<typeof walletReady>;
export type TokenRequestMessage = z.infer<typeof tokenRequest>;
export type TokenAnswer = z.infer<typeof tokenAnswer>;
export type WalletErrorMessage = z.infer<typeof walletError>;
export type GrantMessage = z.infer<typeof grantMessage>;
export type GrantErrorMessage = z.infer<typeof grantError>;

/** The message if it parses with `schema`, else undefined. Never throws. */
export function readMessage<T>(schema: z.ZodMiniType<T>, data: unknown): T | undefined {
  const result = schema.safeParse(data);
  return result.success ? result.data : undefined;
}

/** A random base64url string of `bytes` random bytes (nonces and states). */
export function randomId(bytes = 16): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  let s = "";
  for (const b of raw) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
