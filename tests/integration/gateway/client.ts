import {
  beginIssuance,
  DIRECTORY_PATH,
  decodeBatchResponse,
  encodeBatchRequest,
  finishIssuance,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  parseDirectory,
  type Token,
  TokenChallenge,
  TokenResponse,
  toBase64Url,
} from "@blindgate/sdk/protocol";
import { exportGrantJwks, type GrantKey, generateGrantKey } from "@blindgate/sdk/provider";
import { SignJWT } from "jose";
import type { LocalGateway } from "../../../functions/local/gateway.js";

/*
 * A test client of the gateway over HTTP: what a wallet, a provider and a site do, with knobs to break each step.
 */

export interface TestProvider {
  id: string;
  key: GrantKey;
}

export async function registerProvider(gateway: LocalGateway, id: string, monthlyQuota = 1_000_000) {
  const key = await generateGrantKey({ kid: `${id}-k1` });
  await gateway.addProvider({
    id,
    name: `Provider ${id}`,
    verifyUrl: `http://127.0.0.1:9/${id}`,
    jwks: await exportGrantJwks(key),
    monthlyQuota,
  });
  return { id, key } satisfies TestProvider;
}

let jtiCounter = 0;

/** A grant with the gateway's clock, any claim overridable (undefined removes it). */
export async function makeGrant(
  gateway: LocalGateway,
  provider: TestProvider,
  claims: Record<string, unknown> = {},
  signingKey: CryptoKey = provider.key.privateKey,
): Promise<string> {
  const iat = gateway.deps.now();
  const all: Record<string, unknown> = {
    iss: provider.id,
    aud: gateway.issuerName,
    iat,
    exp: iat + 120,
    jti: `jti-${process.pid}-${Date.now()}-${jtiCounter++}-abcdef`,
    age_over: 18,
    max_tokens: 10,
    ...claims,
  };
  for (const k of Object.keys(all)) if (all[k] === undefined) delete all[k];
  return new SignJWT(all).setProtectedHeader({ alg: "ES256", kid: provider.key.kid }).sign(signingKey);
}

export interface DirectoryKey {
  tokenKey: Uint8Array;
  ageOver: number;
  /** Band keys only. */
  ageBelow: number | undefined;
  notBefore: number | undefined;
  notAfter: number | undefined;
}

export async function directory(gateway: Pick<LocalGateway, "url">): Promise<DirectoryKey[]> {
  const res = await fetch(`${gateway.url}${DIRECTORY_PATH}`);
  if (res.status !== 200) throw new Error(`directory: ${res.status}`);
  return parseDirectory(await res.json()).tokenKeys.map((k) => ({
    tokenKey: k.tokenKey,
    ageOver: k.ageOver ?? 0,
    ageBelow: k.ageBelow,
    notBefore: k.notBefore,
    notAfter: k.notAfter,
  }));
}

/**
 * The key that issues now for a threshold, or for the band [threshold, ageBelow) (the directory's key whose
 * not-before has passed).
 */
export async function currentKey(
  gateway: Pick<LocalGateway, "url"> & { deps?: { now(): number } },
  threshold: number,
  ageBelow?: number,
): Promise<Uint8Array> {
  const now = gateway.deps?.now() ?? Math.floor(Date.now() / 1000);
  const key = (await directory(gateway)).find(
    (k) => k.ageOver === threshold && k.ageBelow === ageBelow && (k.notBefore ?? 0) <= now,
  );
  if (key === undefined)
    throw new Error(`no current key for ${threshold}${ageBelow === undefined ? "" : `-${ageBelow}`}`);
  return key.tokenKey;
}

export interface IssueResult {
  status: number;
  /** The batch request as sent (what the gateway received). */
  request: Uint8Array;
  body: Uint8Array;
  tokens: (Token | null)[];
}

/** Blind `keys.length` requests, POST them as a generic batch with the grant, finalize what comes back. */
export async function issue(
  gateway: Pick<LocalGateway, "url" | "issuerName">,
  grant: string | undefined,
  keys: Uint8Array[],
): Promise<IssueResult> {
  const challenge = TokenChallenge.crossOrigin(gateway.issuerName).encode();
  const begun = await Promise.all(keys.map((tokenKey) => beginIssuance({ challenge, tokenKey })));
  const request = encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() })));
  const res = await fetch(`${gateway.url}/token-request`, {
    method: "POST",
    headers: {
      "content-type": GENERIC_BATCH_REQUEST_MEDIA_TYPE,
      ...(grant === undefined ? {} : { authorization: `Bearer ${grant}` }),
    },
    body: Buffer.from(request),
  });
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200 && res.status !== 206) return { status: res.status, request, body, tokens: [] };
  const items = decodeBatchResponse(body);
  const tokens = await Promise.all(
    items.map((item, i) =>
      item === null ? null : finishIssuance(begun[i]!.pending, TokenResponse.decode(item.response)),
    ),
  );
  return { status: res.status, request, body, tokens };
}

export interface CheckAnswer {
  status: number;
  json: { valid?: boolean; ageOver?: number; error?: { code: string } };
}

export async function check(
  gateway: Pick<LocalGateway, "url">,
  apiKey: string,
  token: Token | Uint8Array,
  minAge: number,
): Promise<CheckAnswer> {
  const bytes = token instanceof Uint8Array ? token : token.encode();
  const res = await fetch(`${gateway.url}/v1/check`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ token: toBase64Url(bytes), minAge }),
  });
  return { status: res.status, json: (await res.json()) as CheckAnswer["json"] };
}

export function errorCode(body: Uint8Array): string | undefined {
  try {
    return (JSON.parse(new TextDecoder().decode(body)) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}
