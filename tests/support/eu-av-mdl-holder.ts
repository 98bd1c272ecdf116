import { createCipheriv, createECDH, createHash, createHmac, randomBytes } from "node:crypto";
import { DeviceResponse, Document, MDoc } from "@auth0/mdl";
import type { JWK } from "jose";

/*
 * An independent holder for the interop tests: nothing here is the provider's code or its mdoc library.
 *
 *   mdoc          @auth0/mdl (issue, then present a DeviceResponse), where the provider uses @animo-id/mdoc
 *   CBOR          the few items a SessionTranscript needs, encoded by hand from RFC 8949 §3 below
 *   transcripts   OpenID4VP 1.0 Appendix B.2.6.1 (OpenID4VPHandover) and ISO/IEC 18013-7 Annex C (dcapi), by hand
 *   HPKE          RFC 9180 base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, by hand on node:crypto
 *                 (the provider opens with @hpke/core); checked against RFC 9180 A.3.1 by the tests
 */

// --- CBOR (RFC 8949 §3): major type in the top 3 bits, the argument in the rest (or the bytes after) ---

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

/** The CBOR items a transcript holds: null, text, bytes, arrays and tag 24 (embedded CBOR). */
export type Cbor = null | string | Uint8Array | readonly Cbor[] | { tag24: Uint8Array };

export function cbor(item: Cbor): Buffer {
  if (item === null) return Buffer.from([0xf6]); // major 7, simple value 22
  if (typeof item === "string") {
    const text = Buffer.from(item, "utf8");
    return Buffer.concat([head(3, text.length), text]);
  }
  if (item instanceof Uint8Array) return Buffer.concat([head(2, item.length), item]);
  if (Array.isArray(item)) return Buffer.concat([head(4, item.length), ...item.map((i: Cbor) => cbor(i))]);
  const embedded = (item as { tag24: Uint8Array }).tag24;
  return Buffer.concat([Buffer.from([0xd8, 24]), cbor(embedded)]); // tag 24 (1 byte follows), then a bstr
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest();

/** RFC 7638 thumbprint of an EC public JWK: SHA-256 of its required members, lexicographic, no spaces. */
export function jwkThumbprint(jwk: { crv: string; kty: string; x: string; y: string }): Buffer {
  return sha256(Buffer.from(`{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}","y":"${jwk.y}"}`));
}

/**
 * OpenID4VP 1.0 Appendix B.2.6.1: OpenID4VPHandoverInfo = [client_id, nonce, jwkThumbprint / null, response_uri],
 * Handover = ["OpenID4VPHandover", SHA-256(CBOR(info))], SessionTranscript = [null, null, Handover].
 */
export function openid4vpTranscript(input: {
  clientId: string;
  nonce: string;
  jwkThumbprint: Uint8Array | null;
  responseUri: string;
}): { info: Buffer; handover: Buffer; transcript: Buffer; transcriptBytes: Buffer } {
  const info = cbor([input.clientId, input.nonce, input.jwkThumbprint, input.responseUri]);
  const handover: Cbor = ["OpenID4VPHandover", sha256(info)];
  const transcript = cbor([null, null, handover]);
  return { info, handover: cbor(handover), transcript, transcriptBytes: cbor({ tag24: transcript }) };
}

/** ISO/IEC 18013-7 Annex C: [null, null, ["dcapi", SHA-256(CBOR([encryptionInfo, origin]))]]. */
export function annexCTranscript(
  encryptionInfo: string,
  origin: string,
): { transcript: Buffer; transcriptBytes: Buffer } {
  const transcript = cbor([null, null, ["dcapi", sha256(cbor([encryptionInfo, origin]))]]);
  return { transcript, transcriptBytes: cbor({ tag24: transcript }) };
}

// --- HPKE (RFC 9180), base mode, DHKEM(P-256, HKDF-SHA256) 0x0010, HKDF-SHA256 0x0001, AES-128-GCM 0x0001 ---

const i2osp = (n: number, w: number) => {
  const b = Buffer.alloc(w);
  b.writeUIntBE(n, 0, w);
  return b;
};
const KEM_SUITE = Buffer.concat([Buffer.from("KEM"), i2osp(0x10, 2)]);
const HPKE_SUITE = Buffer.concat([Buffer.from("HPKE"), i2osp(0x10, 2), i2osp(1, 2), i2osp(1, 2)]);
const V1 = Buffer.from("HPKE-v1");
const hmac = (key: Uint8Array, data: Uint8Array) => createHmac("sha256", key).update(data).digest();
// §4: LabeledExtract and LabeledExpand over HKDF (RFC 5869); every length here is at most one block of SHA-256
const labeledExtract = (suite: Buffer, salt: Uint8Array, label: string, ikm: Uint8Array) =>
  hmac(salt, Buffer.concat([V1, suite, Buffer.from(label), ikm]));
const labeledExpand = (suite: Buffer, prk: Uint8Array, label: string, info: Uint8Array, length: number) =>
  hmac(
    prk,
    Buffer.concat([i2osp(length, 2), V1, suite, Buffer.from(label), info, Buffer.from([1])]),
  ).subarray(0, length);

/** SealBase(pkR, info, aad, pt) for sequence 0; `ephemeral` fixes skE (the RFC's vectors only). */
export function hpkeSeal(input: {
  recipientPublicKey: Uint8Array; // uncompressed point, 65 bytes
  info: Uint8Array;
  aad?: Uint8Array;
  plaintext: Uint8Array;
  ephemeral?: Uint8Array;
}): { enc: Buffer; cipherText: Buffer } {
  // §4.1 Encap: dh = DH(skE, pkR), enc = SerializePublicKey(pkE), kem_context = enc || pkRm
  const ecdh = createECDH("prime256v1");
  if (input.ephemeral !== undefined) ecdh.setPrivateKey(Buffer.from(input.ephemeral));
  else ecdh.generateKeys();
  const dh = ecdh.computeSecret(Buffer.from(input.recipientPublicKey));
  const enc = ecdh.getPublicKey(undefined, "uncompressed");
  const kemContext = Buffer.concat([enc, input.recipientPublicKey]);
  const eaePrk = labeledExtract(KEM_SUITE, Buffer.alloc(0), "eae_prk", dh);
  const sharedSecret = labeledExpand(KEM_SUITE, eaePrk, "shared_secret", kemContext, 32);
  // §5.1 KeySchedule, mode_base (0), no PSK
  const pskIdHash = labeledExtract(HPKE_SUITE, Buffer.alloc(0), "psk_id_hash", Buffer.alloc(0));
  const infoHash = labeledExtract(HPKE_SUITE, Buffer.alloc(0), "info_hash", input.info);
  const context = Buffer.concat([Buffer.from([0]), pskIdHash, infoHash]);
  const secret = labeledExtract(HPKE_SUITE, sharedSecret, "secret", Buffer.alloc(0));
  const key = labeledExpand(HPKE_SUITE, secret, "key", context, 16);
  const nonce = labeledExpand(HPKE_SUITE, secret, "base_nonce", context, 12); // XOR sequence 0: itself
  // §5.2 Seal: AES-128-GCM, ciphertext || 16-byte tag
  const cipher = createCipheriv("aes-128-gcm", key, nonce);
  cipher.setAAD(Buffer.from(input.aad ?? new Uint8Array(0)));
  const body = Buffer.concat([cipher.update(input.plaintext), cipher.final()]);
  return { enc, cipherText: Buffer.concat([body, cipher.getAuthTag()]) };
}

// --- the mdoc, on @auth0/mdl ---

export interface MdlHolder {
  readonly mdoc: MDoc;
  readonly devicePrivateJwk: JWK;
}

/** An EU AV attestation issued with @auth0/mdl by `signer` (private JWK, certificate PEM). */
export async function issueWithMdl(input: {
  signer: { privateJwk: JWK; pem: string };
  claims: Record<string, boolean>;
  validUntil?: Date;
}): Promise<MdlHolder> {
  const device = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const devicePrivateJwk = (await crypto.subtle.exportKey("jwk", device.privateKey)) as JWK;
  const { d: _d, key_ops: _ops, ext: _ext, ...devicePublicJwk } = devicePrivateJwk;
  const signed = new Date(Date.now() - 60_000);
  const document = await new Document("eu.europa.ec.av.1")
    .addIssuerNameSpace("eu.europa.ec.av.1", input.claims)
    .useDigestAlgorithm("SHA-256")
    .addValidityInfo({
      signed,
      validFrom: signed,
      validUntil: input.validUntil ?? new Date(Date.now() + 30 * 86_400_000),
    })
    .addDeviceKeyInfo({ deviceKey: devicePublicJwk })
    .sign({ issuerPrivateKey: input.signer.privateJwk, issuerCertificate: input.signer.pem, alg: "ES256" });
  return { mdoc: new MDoc([document]), devicePrivateJwk };
}

/** A DeviceResponse disclosing `elements`, signed by the device key over `transcriptBytes` (#6.24). */
export async function presentWithMdl(
  holder: MdlHolder,
  elements: readonly string[],
  transcriptBytes: Uint8Array,
): Promise<Uint8Array> {
  const definition = {
    id: "eu-av",
    input_descriptors: [
      {
        id: "eu.europa.ec.av.1",
        format: { mso_mdoc: { alg: ["ES256"] } },
        constraints: {
          limit_disclosure: "required" as const,
          fields: elements.map((e) => ({
            path: [`$['eu.europa.ec.av.1']['${e}']`],
            intent_to_retain: false,
          })),
        },
      },
    ],
  };
  const response = await DeviceResponse.from(holder.mdoc)
    .usingPresentationDefinition(definition)
    .usingSessionTranscriptBytes(Buffer.from(transcriptBytes))
    .authenticateWithSignature(holder.devicePrivateJwk, "ES256")
    .sign();
  return response.encode();
}

export const randomState = () => randomBytes(12).toString("base64url");
