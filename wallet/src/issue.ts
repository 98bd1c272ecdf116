import {
  beginIssuance,
  decodeBatchResponse,
  encodeBatchRequest,
  finishIssuance,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  TokenChallenge,
  TokenResponse,
  toBase64Url,
  toHex,
  tokenKeyId,
} from "@blindgate/sdk/protocol";
import type { GatewayKeys } from "./keys.js";
import { planTokens, readGrant } from "./plan.js";
import type { StoredToken } from "./store.js";

/*
 * Getting a batch of tokens for a grant: blind one TokenRequest per token for the current key of each threshold the
 * grant covers (keys checked against the log by gatewayKeys), send them as one generic batch with the grant,
 * finalize every answer (finishIssuance checks each signature). Requests go to the gateway only and carry nothing
 * about any site.
 */

export interface WalletConfig {
  gatewayUrl: string;
  issuerName: string;
  /**
   * The first-use wait's k: other issuances the first proof after a grant should hide among (default 20,
   * first-use.ts). The host may set it in config.json.
   */
  firstUseAnonymitySet?: number;
}

/** Why tokens could not be had: the gateway's error code (ERR_PROVIDER_SUSPENDED...), or the wallet's own. */
export class IssueError extends Error {
  override name = "IssueError";
  constructor(readonly code: string) {
    super(`issuance failed: ${code}`);
  }
}

/** fetch, with a network failure as IssueError("NETWORK"). */
export async function gatewayFetch(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, credentials: "omit" });
  } catch {
    throw new IssueError("NETWORK");
  }
}

/**
 * The first batch for a grant at a gateway without credit keys. The keys come from gatewayKeys (keys.ts), so they
 * passed the same checks as a credential's: the log's chain and bounds, the directory's bound, each key announced.
 */
export async function issueTokens(
  config: WalletConfig,
  grant: string,
  keys: Pick<GatewayKeys, "directory" | "tokenKeys">,
): Promise<StoredToken[]> {
  const claims = readGrant(grant);
  if (claims === undefined) throw new IssueError("GRANT_UNREADABLE");
  const { directory } = keys;
  const current = new Map<number, { tokenKey: Uint8Array; notAfter: number }>();
  for (const [threshold, key] of keys.tokenKeys)
    if (threshold <= claims.ageOver)
      current.set(threshold, { tokenKey: key.tokenKey, notAfter: key.notAfter });
  const plan = planTokens([...current.keys()], claims.maxTokens);
  if (plan.size === 0) throw new IssueError("UNDER_AGE");

  const challenge = TokenChallenge.crossOrigin(config.issuerName).encode();
  const wanted: { threshold: number; tokenKey: Uint8Array; notAfter: number }[] = [];
  for (const [threshold, count] of plan) {
    const key = current.get(threshold) as { tokenKey: Uint8Array; notAfter: number };
    for (let i = 0; i < count; i++) wanted.push({ threshold, ...key });
  }
  const begun = await Promise.all(wanted.map((w) => beginIssuance({ challenge, tokenKey: w.tokenKey })));
  const response = await gatewayFetch(directory.issuerRequestUri, {
    method: "POST",
    headers: { "Content-Type": GENERIC_BATCH_REQUEST_MEDIA_TYPE, Authorization: `Bearer ${grant}` },
    body: encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() }))) as BodyInit,
  });
  if (response.status !== 200 && response.status !== 206) {
    const code = await response
      .json()
      .then((j: { error?: { code?: string } }) => j.error?.code ?? `HTTP_${response.status}`)
      .catch(() => `HTTP_${response.status}`);
    throw new IssueError(code);
  }
  const items = decodeBatchResponse(new Uint8Array(await response.arrayBuffer()));
  const tokens: StoredToken[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const b = begun[i];
    const w = wanted[i];
    if (item === null || item === undefined || b === undefined || w === undefined) continue;
    const token = await finishIssuance(b.pending, TokenResponse.decode(item.response));
    tokens.push({
      threshold: w.threshold,
      token: toBase64Url(token.encode()),
      keyId: toHex(await tokenKeyId(w.tokenKey)),
      notAfter: w.notAfter,
    });
  }
  return tokens;
}
