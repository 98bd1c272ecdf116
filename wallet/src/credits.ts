import {
  beginCredential,
  beginIssuanceBatch,
  beginRefill,
  credentialAnswerSchema,
  creditBalance,
  creditParams,
  decodeBatchResponse,
  encodeBatchRequest,
  finishCredential,
  finishIssuanceBatch,
  finishRefill,
  fromBase64Url,
  GATEWAY_PATHS,
  gatewayErrorCodeOf,
  isKeyAnnounced,
  refillAnswerSchema,
  TokenChallenge,
  TokenResponse,
  toBase64Url,
} from "@blindgate/sdk/protocol/internal";
import { gatewayFetch, IssueError, type WalletConfig } from "./issue.js";
import { type GatewayKeys, gatewayKeys, type IssuingTokenKey } from "./keys.js";
import { readGrant } from "./plan.js";
import { bandKeysBought, MAX_REFILL, planFirstBatch, planSize } from "./pool.js";
import {
  commitRefill,
  deleteCredential,
  getCredential,
  type PendingRefill,
  putCredential,
  type StoredCredential,
  type StoredToken,
} from "./store.js";

/*
 * Credit credentials (ACT, sdk/src/protocol/credits.ts), the wallet's side:
 *
 * - obtainCredential: a provider's grant buys, at POST /v1/credential, one credential for the highest threshold met
 *   and a first batch of tokens (pool.ts: planFirstBatch);
 * - refill: a spend proof for k credits buys k tokens at POST /v1/refill, and the change comes back as a new
 *   credential. The exact body, the ACT state and the blinded tokens' secrets are stored BEFORE the request is
 *   sent and kept until the answer is in: after a network failure the next refill sends the same body again (the
 *   gateway answers it again, byte for byte), so no credit is lost. One refill at a time per browser (Web Locks):
 *   two windows spending the same credential would lose the second's request (ERR_CREDIT_SPENT).
 *
 * Requests go to the gateway only; a refill carries no grant and nothing of the person or of any site: the proof
 * shows a fresh nullifier, the amount and the key, and nothing links it to the grant or to other refills.
 */

/** What a grant bought. */
export interface Obtained {
  credential: StoredCredential;
  tokens: StoredToken[];
  /** The gateway's published issuances per hour (for the first-use wait), when it gives one. */
  issuancesPerHour: number | undefined;
}

function challenge(config: WalletConfig): Uint8Array {
  return TokenChallenge.crossOrigin(config.issuerName).encode();
}

async function errorCode(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  return gatewayErrorCodeOf(text) ?? `HTTP_${response.status}`;
}

/** Blind `plan`'s tokens under the current keys (and `extra` keys after them); the batch and what to keep. */
async function blindPlan(
  config: WalletConfig,
  keys: ReadonlyMap<number, IssuingTokenKey>,
  plan: ReadonlyMap<number, number>,
  extra: readonly IssuingTokenKey[] = [],
): Promise<{ body: Uint8Array; tokens: PendingRefill["tokens"] }> {
  const wanted: IssuingTokenKey[] = [];
  for (const [threshold, n] of [...plan].sort((a, b) => a[0] - b[0])) {
    const key = keys.get(threshold);
    if (key === undefined) continue;
    for (let i = 0; i < n; i++) wanted.push(key);
  }
  wanted.push(...extra);
  const begun = await beginIssuanceBatch({
    challenge: challenge(config),
    tokenKeys: wanted.map((w) => w.tokenKey),
  });
  return {
    body: encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() }))),
    tokens: begun.map((b, i) => {
      const w = wanted[i] as IssuingTokenKey;
      return {
        threshold: w.threshold,
        ...(w.below === undefined ? {} : { below: w.below }),
        keyId: w.keyId,
        notAfter: w.notAfter,
        pending: b.pending,
      };
    }),
  };
}

/** Finish a batch answer into stored tokens (every signature checked; a null answer gives no token). */
async function finishTokens(pending: PendingRefill["tokens"], encoded: string): Promise<StoredToken[]> {
  const items = decodeBatchResponse(fromBase64Url(encoded));
  if (items.length !== pending.length) throw new IssueError("BATCH_MISMATCH");
  const tokens = await finishIssuanceBatch(
    pending.map((p) => p.pending),
    items.map((item) => (item === null || item === undefined ? null : TokenResponse.decode(item.response))),
  );
  const out: StoredToken[] = [];
  tokens.forEach((token, i) => {
    const p = pending[i];
    if (token === null || p === undefined) return;
    out.push({
      threshold: p.threshold,
      ...(p.below === undefined ? {} : { below: p.below }),
      token: toBase64Url(token.encode()),
      keyId: p.keyId,
      notAfter: p.notAfter,
    });
  });
  return out;
}

/**
 * A credential (and a first batch) for a grant. Undefined when the gateway offers no credit key for the grant's age
 * (an older gateway): the caller falls back to plain issuance.
 */
export async function obtainCredential(
  config: WalletConfig,
  grant: string,
  now: number,
): Promise<Obtained | undefined> {
  const claims = readGrant(grant);
  if (claims === undefined) throw new IssueError("GRANT_UNREADABLE");
  const keys = await gatewayKeys(config, now);
  // The gateway sells the highest credit key at or below the grant's age; the wallet checks the one it gets.
  const offered = keys.creditKeys.filter((k) => k.ageOver <= claims.ageOver);
  if (offered.length === 0) return undefined;
  const met = [...keys.tokenKeys.keys()].filter((t) => t <= claims.ageOver);
  const thresholdPlan = planFirstBatch(met, claims.maxTokens);
  const batch = await blindPlan(
    config,
    keys.tokenKeys,
    thresholdPlan,
    firstBandBatch(keys.bandKeys, claims, claims.maxTokens - 1 - planSize(thresholdPlan)),
  );
  const params = creditParams(config.issuerName);
  const { request, state } = beginCredential(params);
  const response = await gatewayFetch(`${config.gatewayUrl}${GATEWAY_PATHS.credential}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${grant}` },
    body: JSON.stringify({
      credit: toBase64Url(request),
      ...(batch.tokens.length === 0 ? {} : { tokens: toBase64Url(batch.body) }),
    }),
  });
  if (!response.ok) throw new IssueError(await errorCode(response));
  const parsed = credentialAnswerSchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new IssueError("CREDENTIAL_UNREADABLE");
  const answer = parsed.data;
  const key = offered.find((k) => k.id === answer.creditKeyId);
  if (key === undefined || key.ageOver !== answer.ageOver || key.ageBelow !== answer.ageBelow)
    throw new IssueError("KEY_NOT_ANNOUNCED");
  let credential: Uint8Array;
  try {
    credential = finishCredential(params, key.actKey, state, fromBase64Url(answer.credit));
  } catch {
    throw new IssueError("CREDENTIAL_INVALID");
  }
  const tokens =
    answer.tokens === undefined || batch.tokens.length === 0
      ? []
      : await finishTokens(batch.tokens, answer.tokens);
  return {
    credential: {
      credential: toBase64Url(credential),
      creditKeyId: key.id,
      actKey: toBase64Url(key.actKey),
      ageOver: key.ageOver,
      ...(key.ageBelow === undefined ? {} : { ageBelow: key.ageBelow }),
      notAfter: key.notAfter,
      credits: creditBalance(params, credential),
    },
    tokens,
    issuancesPerHour: keys.directory.issuancesPerHour,
  };
}

/** Band tokens one grant buys at most (the gateway's default resale bound; more and it refuses the whole batch). */
const BAND_TOKENS_PER_GRANT = 10;
/** Band tokens of each band key in the first batch. */
const FIRST_BAND_BATCH = 2;

/**
 * The band tokens of a first batch: for a grant proving [age_over, age_below), FIRST_BAND_BATCH of every band key
 * that contains it and whose tokens die by the grant's below_until (the gateway refuses any other), within the band
 * bound and what the grant has left.
 */
export function firstBandBatch(
  bandKeys: readonly IssuingTokenKey[],
  claims: { ageOver: number; ageBelow?: number; belowUntil?: number },
  left: number,
): IssuingTokenKey[] {
  const { ageBelow, belowUntil } = claims;
  if (ageBelow === undefined || belowUntil === undefined) return [];
  const fits = bandKeys
    .filter((k) => k.below !== undefined && k.threshold <= claims.ageOver && ageBelow <= k.below)
    .filter((k) => k.notAfter <= belowUntil)
    .sort((a, b) => a.threshold - b.threshold || (a.below ?? 0) - (b.below ?? 0));
  const out: IssuingTokenKey[] = [];
  for (const k of fits) for (let i = 0; i < FIRST_BAND_BATCH; i++) out.push(k);
  return out.slice(0, Math.max(0, Math.min(BAND_TOKENS_PER_GRANT, left)));
}

/** One refill at a time in this browser (every wallet window of this origin). */
async function exclusive<T>(run: () => Promise<T>): Promise<T> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (locks === undefined) return run();
  return locks.request("blindgate-credit", run) as Promise<T>;
}

/** What a refill did. */
export interface RefillResult {
  /** Tokens added. */
  added: StoredToken[];
  /** The credential after it (undefined: none, or it died). */
  credential: StoredCredential | undefined;
}

/**
 * Spend credits on the tokens `plan` chooses from the gateway's current keys and the credential (and on the band
 * tokens `bands` chooses with the credits left), and keep the change. A refill left in flight by an earlier failure is finished first (same body), and then counts as this
 * one. Throws IssueError on a network failure (the refill stays in flight) or a refusal.
 */
export function refill(
  config: WalletConfig,
  now: number,
  plan: (keys: GatewayKeys, credential: StoredCredential) => Map<number, number>,
  bands?: (keys: GatewayKeys, credential: StoredCredential, budget: number) => IssuingTokenKey[],
): Promise<RefillResult> {
  return exclusive(async () => {
    const credential = await getCredential();
    if (credential === undefined) return { added: [], credential };
    if (credential.notAfter <= now) {
      await deleteCredential();
      return { added: [], credential: undefined };
    }
    if (credential.pending !== undefined) return send(config, credential, credential.pending);
    const keys = await gatewayKeys(config, now);
    // The directory lists the current and next credit keys; a credential outlives its key's issuing epoch (30
    // days) by its validity (60), so a retired key is found in the key log, which announces every key with its
    // window. The credential keeps its key's public part (actKey) for the refunds.
    const announced =
      keys.validCreditKeys.has(credential.creditKeyId) ||
      isKeyAnnounced(keys.log, credential.creditKeyId, now);
    if (!announced) {
      // the credential's key is no longer announced, or has ended: the credential buys nothing any more
      await deleteCredential();
      return { added: [], credential: undefined };
    }
    const wanted = plan(keys, credential);
    const budget = Math.min(MAX_REFILL, credential.credits) - planSize(wanted);
    // band keys only from the current directory and only those the credential buys (bandKeysBought): one key the
    // gateway would not sign makes it refuse the whole refill
    const bandWanted =
      bands === undefined || budget <= 0
        ? []
        : bandKeysBought(credential, bands(keys, credential, budget)).slice(0, budget);
    if (planSize(wanted) + bandWanted.length === 0 || credential.credits <= 0)
      return { added: [], credential };
    const batch = await blindPlan(config, keys.tokenKeys, wanted, bandWanted);
    if (batch.tokens.length === 0) return { added: [], credential };
    const params = creditParams(config.issuerName);
    const { proof, state } = beginRefill(params, fromBase64Url(credential.credential), batch.tokens.length);
    const pending: PendingRefill = {
      body: {
        creditKeyId: credential.creditKeyId,
        proof: toBase64Url(proof),
        tokens: toBase64Url(batch.body),
      },
      state: toBase64Url(state),
      tokens: batch.tokens,
    };
    // kept before it leaves: a lost answer is asked for again with this very body
    const inFlight = { ...credential, pending };
    await putCredential(inFlight);
    return send(config, inFlight, pending);
  });
}

/** Codes after which the credential buys nothing any more. */
const DEAD_CREDENTIAL = new Set(["ERR_CREDIT_SPENT", "ERR_CREDIT_KEY_UNKNOWN"]);

async function send(
  config: WalletConfig,
  credential: StoredCredential,
  pending: PendingRefill,
): Promise<RefillResult> {
  const response = await gatewayFetch(`${config.gatewayUrl}${GATEWAY_PATHS.refill}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(pending.body),
  });
  if (!response.ok) {
    const code = await errorCode(response);
    if (DEAD_CREDENTIAL.has(code)) {
      await deleteCredential();
    } else if (response.status < 500 && response.status !== 429) {
      // refused before anything was spent (refusals come first at the gateway): the credential is intact
      const { pending: _, ...intact } = credential;
      await putCredential(intact);
    }
    // 5xx, 429: still in flight, the same body goes again next time
    throw new IssueError(code);
  }
  const parsed = refillAnswerSchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new IssueError("REFILL_UNREADABLE");
  const params = creditParams(config.issuerName);
  let change: Uint8Array;
  try {
    change = finishRefill(
      params,
      fromBase64Url(credential.actKey),
      fromBase64Url(pending.body.proof),
      fromBase64Url(pending.state),
      fromBase64Url(parsed.data.refund),
    );
  } catch {
    throw new IssueError("REFUND_INVALID");
  }
  const added = await finishTokens(pending.tokens, parsed.data.tokens);
  const next: StoredCredential = {
    credential: toBase64Url(change),
    creditKeyId: credential.creditKeyId,
    actKey: credential.actKey,
    ageOver: credential.ageOver,
    // the change is a credential of the same key: a band credential stays one, and keeps buying its band
    ...(credential.ageBelow === undefined ? {} : { ageBelow: credential.ageBelow }),
    notAfter: credential.notAfter,
    credits: creditBalance(params, change),
  };
  await commitRefill(added, next);
  return { added, credential: next };
}
