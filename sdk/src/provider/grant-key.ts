import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { ProviderError } from "./errors.js";

/*
 * A provider's grant-signing key: ES256 (ECDSA on P-256 with SHA-256, RFC 7518 §3.4). The provider keeps the
 * private half; the gateway operator registers the public half as a JWKS (RFC 7517 §5) in the providers table.
 * The key id is the RFC 7638 JWK thumbprint of the public key unless the provider chooses its own, and travels in
 * every grant's protected header so the gateway can pick the key during rotation.
 */

/** The signing algorithm of grants. */
export const GRANT_ALG = "ES256";

/** The public half of a grant key, as registered with a gateway. */
export interface GrantPublicKey {
  /** Key id: the `kid` of the JWKS entry and of every grant header. */
  readonly kid: string;
  readonly publicKey: CryptoKey;
}

/** A grant-signing key pair. */
export interface GrantKey extends GrantPublicKey {
  readonly privateKey: CryptoKey;
}

/** The JWKS a provider registers with the gateway operator: public keys only. */
export interface GrantJwks {
  keys: GrantPublicJwk[];
}

/** One public JWK of a {@link GrantJwks}. */
export interface GrantPublicJwk {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
  kid: string;
  alg: typeof GRANT_ALG;
  use: "sig";
}

/** Options of {@link generateGrantKey}. */
export interface GenerateGrantKeyOptions {
  /** Key id to use instead of the JWK thumbprint. */
  kid?: string;
  /** Whether the private key can be exported (to store it with {@link exportGrantPrivateJwk}); default true. */
  extractable?: boolean;
}

const KID = /^[\x21-\x7e]{1,128}$/;

/**
 * Generate a new ES256 grant key pair with a key id (the public key's JWK thumbprint by default).
 *
 * @example
 * ```ts
 * const key = await generateGrantKey();
 * const jwks = await exportGrantJwks(key); // send this to the gateway operator
 * const secret = await exportGrantPrivateJwk(key); // keep this in your secret store
 * ```
 */
export async function generateGrantKey(options: GenerateGrantKeyOptions = {}): Promise<GrantKey> {
  const { privateKey, publicKey } = await generateKeyPair(GRANT_ALG, {
    extractable: options.extractable ?? true,
  });
  const kid = options.kid ?? (await thumbprint(publicKey));
  checkKid(kid);
  return { kid, privateKey, publicKey };
}

/**
 * The JWKS to register with a gateway: the public half of each key, with its kid, `alg: "ES256"` and `use: "sig"`.
 * Nothing private ever appears in it. Pass several keys while rotating (old and new).
 *
 * @example
 * ```ts
 * const body = JSON.stringify(await exportGrantJwks([currentKey, nextKey]));
 * ```
 */
export async function exportGrantJwks(keys: GrantPublicKey | readonly GrantPublicKey[]): Promise<GrantJwks> {
  const list: readonly GrantPublicKey[] = isKeyList(keys) ? keys : [keys];
  const seen = new Set<string>();
  const out: GrantPublicJwk[] = [];
  for (const key of list) {
    checkKid(key.kid);
    if (seen.has(key.kid)) throw new ProviderError("INVALID_KEY", "exportGrantJwks: duplicate kid");
    seen.add(key.kid);
    out.push({ ...(await publicJwk(key.publicKey)), kid: key.kid, alg: GRANT_ALG, use: "sig" });
  }
  return { keys: out };
}

/**
 * The private JWK of a grant key (with its kid), for the provider's own secret store. Never send it anywhere else.
 *
 * @example
 * ```ts
 * await secrets.put("blindgate-grant-key", JSON.stringify(await exportGrantPrivateJwk(key)));
 * ```
 */
export async function exportGrantPrivateJwk(key: GrantKey): Promise<JWK> {
  checkKid(key.kid);
  let jwk: JWK;
  try {
    jwk = await exportJWK(key.privateKey);
  } catch (cause) {
    throw new ProviderError("INVALID_KEY", "exportGrantPrivateJwk: the private key is not extractable", {
      cause,
    });
  }
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.d !== "string") {
    throw new ProviderError("INVALID_KEY", "exportGrantPrivateJwk: not a P-256 private key");
  }
  return { ...jwk, kid: key.kid, alg: GRANT_ALG };
}

/**
 * Load a grant key from a private JWK (as written by {@link exportGrantPrivateJwk}). The kid is the JWK's own
 * `kid`, or the public key's thumbprint when it has none. Throws ProviderError("INVALID_KEY") on anything but a
 * P-256 private key.
 *
 * @example
 * ```ts
 * const key = await importGrantKey(JSON.parse(process.env.GRANT_KEY_JWK ?? ""));
 * ```
 */
export async function importGrantKey(privateJwk: JWK): Promise<GrantKey> {
  if (
    privateJwk.kty !== "EC" ||
    privateJwk.crv !== "P-256" ||
    typeof privateJwk.d !== "string" ||
    typeof privateJwk.x !== "string" ||
    typeof privateJwk.y !== "string"
  ) {
    throw new ProviderError("INVALID_KEY", "importGrantKey: not a P-256 private JWK");
  }
  const { x, y } = privateJwk;
  try {
    const privateKey = await importJWK({ kty: "EC", crv: "P-256", x, y, d: privateJwk.d }, GRANT_ALG);
    const publicKey = await importJWK({ kty: "EC", crv: "P-256", x, y }, GRANT_ALG, { extractable: true });
    if (!(privateKey instanceof CryptoKey) || !(publicKey instanceof CryptoKey)) {
      throw new ProviderError("INVALID_KEY", "importGrantKey: the runtime did not give a CryptoKey");
    }
    const kid = privateJwk.kid ?? (await thumbprint(publicKey));
    checkKid(kid);
    return { kid, privateKey, publicKey };
  } catch (cause) {
    if (cause instanceof ProviderError) throw cause;
    throw new ProviderError("INVALID_KEY", "importGrantKey: the JWK does not import as ES256", { cause });
  }
}

async function publicJwk(publicKey: CryptoKey): Promise<Pick<GrantPublicJwk, "kty" | "crv" | "x" | "y">> {
  if (publicKey.type !== "public") {
    throw new ProviderError("INVALID_KEY", "exportGrantJwks: expected a public key");
  }
  let jwk: JWK;
  try {
    jwk = await exportJWK(publicKey);
  } catch (cause) {
    throw new ProviderError("INVALID_KEY", "exportGrantJwks: the public key cannot be exported", { cause });
  }
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.x !== "string" || typeof jwk.y !== "string") {
    throw new ProviderError("INVALID_KEY", "exportGrantJwks: not a P-256 public key");
  }
  return { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y };
}

async function thumbprint(publicKey: CryptoKey): Promise<string> {
  return calculateJwkThumbprint(await publicJwk(publicKey), "sha256");
}

function checkKid(kid: string): void {
  if (!KID.test(kid)) throw new ProviderError("INVALID_KEY", "grant key: kid must be 1-128 printable ASCII");
}

function isKeyList(keys: GrantPublicKey | readonly GrantPublicKey[]): keys is readonly GrantPublicKey[] {
  return Array.isArray(keys);
}
