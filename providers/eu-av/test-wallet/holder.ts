import {
  cborDecode,
  cborEncode,
  DeviceRequest,
  DeviceResponse,
  Document,
  MDoc,
  parseDeviceResponse,
  uint8ArrayToBase64Url,
} from "@animo-id/mdoc";
import { Aes128Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from "@hpke/core";
import {
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  type X509Certificate,
  X509CertificateGenerator,
} from "@peculiar/x509";
import type { JWK } from "jose";
import { annexCSessionTranscript } from "../annex-c.js";
import { AV_CREDENTIAL_ID, AV_DOCTYPE, AV_NAMESPACE } from "../constants.js";
import { mdocContext } from "../mdoc-context.js";
import { dcApiSessionTranscript, redirectSessionTranscript } from "../session-transcript.js";

/*
 * Needs a Reflect metadata API loaded first (@peculiar/x509's tsyringe): the test wallet's server imports
 * reflect-metadata, the tests their small stand-in (tests/support/reflect-metadata.ts).
 *
 * A test issuer and a test holder for the EU age-verification attestation, made at run time: an IACA root, a
 * document signer it certifies, mdocs of docType eu.europa.ec.av.1 bound to a device key, and a holder that reads
 * an OpenID4VP request URI, signs a DeviceResponse over the request's session transcript and posts it (direct_post)
 * to the response URI, like a wallet app on another device would. Everything is @animo-id/mdoc and WebCrypto.
 */

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGN = { name: "ECDSA", hash: "SHA-256" } as const;
const ctx = mdocContext();
const DAY = 86_400_000;

export interface TestCa {
  certificate: X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
}

export async function createTestIaca(
  options: { name?: string; notBefore?: Date; notAfter?: Date } = {},
): Promise<TestCa> {
  const keys = (await crypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const certificate = await X509CertificateGenerator.createSelfSigned({
    name: options.name ?? "C=FR, CN=Test IACA",
    keys,
    signingAlgorithm: SIGN,
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 3650 * DAY),
    extensions: [
      new BasicConstraintsExtension(true, 0, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
    ],
  });
  return { certificate, keys, pem: certificate.toString("pem") };
}

export interface TestSigner extends TestCa {
  privateJwk: JWK;
}

export async function createDocumentSigner(
  iaca: TestCa,
  options: { name?: string; notBefore?: Date; notAfter?: Date } = {},
): Promise<TestSigner> {
  const keys = (await crypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const certificate = await X509CertificateGenerator.create({
    subject: options.name ?? "C=FR, CN=Test document signer",
    issuer: iaca.certificate.subject,
    publicKey: keys.publicKey,
    signingKey: iaca.keys.privateKey,
    signingAlgorithm: SIGN,
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY),
    extensions: [
      new BasicConstraintsExtension(false, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
    ],
  });
  const privateJwk = (await crypto.subtle.exportKey("jwk", keys.privateKey)) as JWK;
  return { certificate, keys, pem: certificate.toString("pem"), privateJwk };
}

export interface DeviceKey {
  publicJwk: JWK;
  privateJwk: JWK;
}

export async function createDeviceKey(): Promise<DeviceKey> {
  const keys = (await crypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const privateJwk = (await crypto.subtle.exportKey("jwk", keys.privateKey)) as JWK;
  const { d: _d, key_ops: _ops, ext: _ext, ...publicJwk } = privateJwk;
  return { privateJwk, publicJwk };
}

export interface IssueOptions {
  device: DeviceKey;
  /** Elements of the namespace, e.g. { age_over_18: true }. */
  claims: Record<string, unknown>;
  docType?: string;
  namespace?: string;
  validFrom?: Date;
  validUntil?: Date;
  signed?: Date;
}

/** An issued attestation (an MDoc holding one IssuerSigned document). */
export async function issueAttestation(signer: TestSigner, options: IssueOptions): Promise<Uint8Array> {
  const signed = options.signed ?? new Date(Date.now() - 60_000);
  const document = await new Document(options.docType ?? AV_DOCTYPE, ctx)
    .addIssuerNameSpace(options.namespace ?? AV_NAMESPACE, options.claims)
    .useDigestAlgorithm("SHA-256")
    .addValidityInfo({
      signed,
      validFrom: options.validFrom ?? signed,
      validUntil: options.validUntil ?? new Date(Date.now() + 90 * DAY),
    })
    .addDeviceKeyInfo({ deviceKey: options.device.publicJwk })
    .sign(
      {
        issuerPrivateKey: signer.privateJwk,
        issuerCertificate: new Uint8Array(signer.certificate.rawData),
        alg: "ES256",
      },
      ctx,
    );
  return new MDoc([document]).encode();
}

export interface PresentOptions {
  /** The elements to disclose (default: the age_over_NN elements of the attestation). */
  elements?: readonly string[];
  /** Sign with this key instead of the attested device key (a bad device signature). */
  signWith?: JWK;
  docType?: string;
  namespace?: string;
}

/** A DeviceResponse over `sessionTranscript`, disclosing `elements` only. */
export async function presentAttestation(
  attestation: Uint8Array,
  device: DeviceKey,
  sessionTranscript: Uint8Array,
  options: PresentOptions = {},
): Promise<Uint8Array> {
  const mdoc = parseDeviceResponse(attestation) as MDoc;
  const document = mdoc.documents[0];
  if (document === undefined) throw new Error("no document");
  const namespace = options.namespace ?? AV_NAMESPACE;
  const elements =
    options.elements ??
    [...(document.getIssuerNameSpace(namespace)?.keys() ?? [])].filter((e) => e.startsWith("age_over_"));
  const request = DeviceRequest.from("1.0", [
    {
      itemsRequestData: {
        docType: options.docType ?? document.docType,
        nameSpaces: new Map([[namespace, new Map(elements.map((e) => [e, false]))]]),
      },
    },
  ]);
  const response = await DeviceResponse.from(mdoc)
    .usingDeviceRequest(request)
    .usingSessionTranscriptBytes(sessionTranscript)
    .authenticateWithSignature(options.signWith ?? device.privateJwk, "ES256")
    .sign(ctx);
  return response.encode();
}

export interface ReadRequest {
  clientId: string;
  nonce: string;
  state: string;
  responseUri: string;
  responseMode: string;
  dcqlQuery: unknown;
}

/** The parameters of an unsigned OpenID4VP request by value (openid4vp://?client_id=..., or av://?...). */
export function readRequestUri(uri: string): ReadRequest {
  return readParams(new URL(uri).searchParams);
}

function readParams(params: URLSearchParams): ReadRequest {
  const get = (name: string) => {
    const v = params.get(name);
    if (v === null) throw new Error(`request URI without ${name}`);
    return v;
  };
  return {
    clientId: get("client_id"),
    nonce: get("nonce"),
    state: get("state"),
    responseUri: get("response_uri"),
    responseMode: get("response_mode"),
    dcqlQuery: JSON.parse(get("dcql_query")),
  };
}

/**
 * A request by value, or by reference (RFC 9101: client_id + request_uri, the app GETs an unsecured request object
 * and checks its client_id is the link's); what a wallet app does before it shows anything.
 */
export async function resolveRequest(uri: string, fetcher: typeof fetch = fetch): Promise<ReadRequest> {
  const url = new URL(uri);
  if (url.protocol === "https:" || url.protocol === "http:") {
    // a QR code's short link: where it sends the phone's browser is the request
    const hop = await fetcher(uri, { method: "GET", redirect: "manual" });
    const location = hop.headers.get("location");
    if (hop.status !== 303 || location === null) throw new Error(`the link answered ${hop.status}`);
    return resolveRequest(location, fetcher);
  }
  const params = url.searchParams;
  const reference = params.get("request_uri");
  if (reference === null) return readParams(params);
  const response = await fetcher(reference, { method: "GET" });
  if (response.status !== 200) throw new Error(`request_uri answered ${response.status}`);
  const [header, payload, signature] = (await response.text()).split(".");
  const head = JSON.parse(Buffer.from(header ?? "", "base64url").toString()) as { alg?: string };
  if (head.alg !== "none" || signature !== "") throw new Error("not an unsecured request object");
  const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString()) as Record<string, unknown>;
  if (claims.client_id !== params.get("client_id")) throw new Error("client_id differs from the link's");
  const flat = new URLSearchParams();
  for (const [k, v] of Object.entries(claims)) flat.set(k, typeof v === "string" ? v : JSON.stringify(v));
  return readParams(flat);
}

/** The age_over elements a DCQL query names that the attestation holds. */
function askedElements(dcqlQuery: unknown, attestation: Uint8Array, namespace = AV_NAMESPACE): string[] {
  const credentials =
    (dcqlQuery as { credentials?: { claims?: { path?: unknown[] }[] }[] }).credentials ?? [];
  const asked = new Set(credentials.flatMap((c) => (c.claims ?? []).map((claim) => String(claim.path?.[1]))));
  const mdoc = parseDeviceResponse(attestation) as MDoc;
  const held = [...(mdoc.documents[0]?.getIssuerNameSpace(namespace)?.keys() ?? [])];
  return held.filter((e) => asked.has(e));
}

/** What a wallet app does with a request URI: present the attestation and POST it to response_uri. */
export async function answerRequest(
  requestUri: string,
  attestation: Uint8Array,
  device: DeviceKey,
  options: PresentOptions & { fetch?: typeof fetch; extra?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; form: URLSearchParams; contentType: string | null }> {
  const request = await resolveRequest(requestUri, options.fetch);
  const transcript = await redirectSessionTranscript(request);
  // Only what the DCQL query asks for (of what the attestation holds), unless the caller says otherwise.
  const elements = options.elements ?? askedElements(request.dcqlQuery, attestation, options.namespace);
  const deviceResponse = await presentAttestation(attestation, device, transcript, { ...options, elements });
  const form = new URLSearchParams({
    vp_token: JSON.stringify({ [AV_CREDENTIAL_ID]: [uint8ArrayToBase64Url(deviceResponse)] }),
    state: request.state,
    ...options.extra,
  });
  const response = await (options.fetch ?? fetch)(request.responseUri, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
  });
  return {
    status: response.status,
    body: await response.json().catch(() => undefined),
    form,
    contentType: response.headers.get("content-type"),
  };
}

/**
 * What a wallet app posts when it does not answer (OpenID4VP 1.0 §8.2, RFC 6749 §4.1.2.1): an Authorization Error
 * Response, e.g. `access_denied` when the person declines.
 */
export async function declineRequest(
  requestUri: string,
  error: string,
  options: { description?: string; fetch?: typeof fetch } = {},
): Promise<{ status: number; body: unknown; contentType: string | null }> {
  const request = await resolveRequest(requestUri, options.fetch);
  const form = new URLSearchParams({
    error,
    ...(options.description !== undefined ? { error_description: options.description } : {}),
    state: request.state,
  });
  const response = await (options.fetch ?? fetch)(request.responseUri, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
  });
  return {
    status: response.status,
    body: await response.json().catch(() => undefined),
    contentType: response.headers.get("content-type"),
  };
}

/** A DC API answer (vp_token object) for a page of `origin` and the request's nonce. */
export async function dcApiVpToken(
  origin: string,
  nonce: string,
  attestation: Uint8Array,
  device: DeviceKey,
  options: PresentOptions = {},
): Promise<Record<string, string[]>> {
  const transcript = await dcApiSessionTranscript({ origin, nonce });
  const deviceResponse = await presentAttestation(attestation, device, transcript, options);
  return { [AV_CREDENTIAL_ID]: [uint8ArrayToBase64Url(deviceResponse)] };
}

/**
 * What a wallet answers to an ISO 18013-7 Annex C request (protocol org-iso-mdoc) on a page of `origin`: the
 * elements the DeviceRequest asks for that the attestation holds, signed over the Annex C transcript and sealed
 * with HPKE to the request's recipient key.
 */
export async function annexCAnswer(
  request: { deviceRequest: string; encryptionInfo: string },
  origin: string,
  attestation: Uint8Array,
  device: DeviceKey,
): Promise<{ response: string }> {
  const asked = DeviceRequest.parse(Buffer.from(request.deviceRequest, "base64url"));
  const wanted = new Set(
    asked.docRequests.flatMap((r) => [...(r.itemsRequest.data.nameSpaces.get(AV_NAMESPACE)?.keys() ?? [])]),
  );
  const mdoc = parseDeviceResponse(attestation) as MDoc;
  const held = [...(mdoc.documents[0]?.getIssuerNameSpace(AV_NAMESPACE)?.keys() ?? [])];
  const info = cborDecode(Buffer.from(request.encryptionInfo, "base64url")) as [string, Map<string, unknown>];
  const key = info[1].get("recipientPublicKey") as Map<number, Uint8Array>;
  const point = Buffer.concat([
    Buffer.from([4]),
    key.get(-2) ?? new Uint8Array(),
    key.get(-3) ?? new Uint8Array(),
  ]);
  const transcript = await annexCSessionTranscript(request.encryptionInfo, origin);
  const deviceResponse = await presentAttestation(attestation, device, transcript.bytes, {
    elements: held.filter((e) => wanted.has(e)),
  });
  const suite = new CipherSuite({
    kem: new DhkemP256HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Aes128Gcm(),
  });
  const recipientPublicKey = await suite.kem.importKey("raw", new Uint8Array(point).buffer, true);
  const sealed = await suite.seal(
    { recipientPublicKey, info: new Uint8Array(transcript.cbor).buffer },
    new Uint8Array(deviceResponse).buffer,
  );
  const encrypted = cborEncode([
    "dcapi",
    new Map<string, Uint8Array>([
      ["enc", new Uint8Array(sealed.enc)],
      ["cipherText", new Uint8Array(sealed.ct)],
    ]),
  ]);
  return { response: Buffer.from(encrypted).toString("base64url") };
}
