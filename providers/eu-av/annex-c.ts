import { cborDecode, cborEncode, DataItem, DeviceRequest } from "@animo-id/mdoc";
import { Aes128Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from "@hpke/core";
import { AV_DOCTYPE, AV_NAMESPACE } from "./constants.js";
import { EuAvError } from "./errors.js";

/*
 * The Digital Credentials API request of ISO/IEC 18013-7 Annex C, as the EU AV profile makes it the default
 * (av-doc-technical-specification, Annex A.5, "W3C Digital Credentials API"):
 *
 *   request   { protocol: "org-iso-mdoc", data: { deviceRequest, encryptionInfo } }, both base64url (no padding)
 *             of CBOR:
 *               DeviceRequest     ISO/IEC 18013-5 §8.3.2.1.2.1: version "1.0", one DocRequest for
 *                                 eu.europa.ec.av.1 asking the age_over_NN elements only (intentToRetain false)
 *               EncryptionInfo  = [ "dcapi", { "nonce": bstr, "recipientPublicKey": COSE_Key } ]
 *   response  { response }: base64url of CBOR
 *               EncryptedResponse = [ "dcapi", { "enc": bstr, "cipherText": bstr } ]
 *             the cipherText being the DeviceResponse sealed with HPKE (RFC 9180) base mode,
 *             DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, to recipientPublicKey, with
 *             info = SessionTranscript (its CBOR) and an empty aad
 *   transcript
 *             dcapiInfo         = [ Base64EncryptionInfo, SerializedOrigin ]   ; the request's string, as sent
 *             SessionTranscript = [ null, null, [ "dcapi", SHA-256(CBOR(dcapiInfo)) ] ]
 *
 * The device signature covers the same SessionTranscript (as SessionTranscriptBytes, tag 24, what @animo-id/mdoc
 * takes), so an answer made for another page's origin or another request's key and nonce does not verify. The
 * recipient key is made per session and kept with it (sessions.ts) until the answer, never reused.
 */

export const ISO_MDOC_PROTOCOL = "org-iso-mdoc";

const suite = new CipherSuite({
  kem: new DhkemP256HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes128Gcm(),
});

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const fromB64url = (text: string) => new Uint8Array(Buffer.from(text, "base64url"));
/**
 * The bytes as an ArrayBuffer of their own: a decoded Buffer is often a view into a shared pool, and its `.buffer`
 * (even after Buffer's `.slice()`, which is a view too) would be the whole pool.
 */
const own = (bytes: Uint8Array): ArrayBuffer => new Uint8Array(bytes).buffer as ArrayBuffer;

/** What the session keeps to open the answer: the encryptionInfo string as sent and the recipient's private JWK. */
export interface AnnexCSecret {
  readonly encryptionInfo: string;
  readonly recipientKey: string;
}

export interface AnnexCRequest {
  readonly protocol: typeof ISO_MDOC_PROTOCOL;
  readonly data: { readonly deviceRequest: string; readonly encryptionInfo: string };
}

/** The age_over_NN elements to ask for, and a fresh recipient key pair for this request only. */
export async function annexCRequest(input: {
  nonce: Uint8Array;
  elements: readonly string[];
}): Promise<{ request: AnnexCRequest; secret: AnnexCSecret }> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, [
    "deriveBits",
  ])) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  // COSE_Key (RFC 9053 §7.1.1): kty EC2 (2), crv P-256 (1), x, y
  const coseKey = new Map<number, number | Uint8Array>([
    [1, 2],
    [-1, 1],
    [-2, fromB64url(jwk.x ?? "")],
    [-3, fromB64url(jwk.y ?? "")],
  ]);
  const encryptionInfo = b64url(
    cborEncode([
      "dcapi",
      new Map<string, unknown>([
        ["nonce", input.nonce],
        ["recipientPublicKey", coseKey],
      ]),
    ]),
  );
  const deviceRequest = DeviceRequest.from("1.0", [
    {
      itemsRequestData: {
        docType: AV_DOCTYPE,
        nameSpaces: new Map([[AV_NAMESPACE, new Map(input.elements.map((e) => [e, false]))]]),
      },
    },
  ]);
  return {
    request: {
      protocol: ISO_MDOC_PROTOCOL,
      data: { deviceRequest: b64url(deviceRequest.encode()), encryptionInfo },
    },
    secret: { encryptionInfo, recipientKey: JSON.stringify(jwk) },
  };
}

/**
 * The Annex C SessionTranscript for a request's encryptionInfo string and the page's origin: `cbor` is its CBOR
 * (the HPKE info), `bytes` the SessionTranscriptBytes (#6.24) the device signature covers.
 *
 * @example
 * ```ts
 * const { cbor, bytes } = await annexCSessionTranscript(request.data.encryptionInfo, "https://verify.example");
 * ```
 */
export async function annexCSessionTranscript(
  encryptionInfo: string,
  origin: string,
): Promise<{ cbor: Uint8Array; bytes: Uint8Array }> {
  const dcapiInfo = cborEncode([encryptionInfo, origin]);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", dcapiInfo as BufferSource));
  const transcript = [null, null, ["dcapi", hash]];
  return { cbor: cborEncode(transcript), bytes: cborEncode(DataItem.fromData(transcript)) };
}

/** Open an answer `{ response }`: the DeviceResponse and the SessionTranscriptBytes it must be signed over. */
export async function openAnnexCResponse(
  secret: AnnexCSecret,
  origin: string,
  data: unknown,
): Promise<{ deviceResponse: Uint8Array; sessionTranscript: Uint8Array }> {
  const refuse = (why: string, cause?: unknown) =>
    new EuAvError("ERR_ENCRYPTED_RESPONSE", `the org-iso-mdoc answer ${why}`, { cause });
  const text =
    typeof data === "object" && data !== null ? (data as { response?: unknown }).response : undefined;
  if (typeof text !== "string" || text.length > 90_000 || !/^[A-Za-z0-9_-]+$/.test(text)) {
    throw refuse("holds no base64url response");
  }
  let decoded: unknown;
  try {
    decoded = cborDecode(fromB64url(text));
  } catch (cause) {
    throw refuse("is not CBOR", cause);
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || decoded[0] !== "dcapi") {
    throw refuse('is not an EncryptedResponse ["dcapi", { enc, cipherText }]');
  }
  const fields = decoded[1] instanceof Map ? decoded[1] : new Map(Object.entries(decoded[1] ?? {}));
  const enc = fields.get("enc");
  const cipherText = fields.get("cipherText");
  if (!(enc instanceof Uint8Array) || enc.length !== 65 || !(cipherText instanceof Uint8Array)) {
    throw refuse("has no P-256 enc (65 bytes) and cipherText");
  }
  const transcript = await annexCSessionTranscript(secret.encryptionInfo, origin);
  let plain: ArrayBuffer;
  try {
    const recipientKey = await suite.kem.importKey(
      "jwk",
      JSON.parse(secret.recipientKey) as JsonWebKey,
      false,
    );
    const recipient = await suite.createRecipientContext({
      recipientKey,
      enc: own(enc),
      info: own(transcript.cbor),
    });
    plain = await recipient.open(own(cipherText));
  } catch (cause) {
    throw refuse("does not open with this request's key and transcript", cause);
  }
  return { deviceResponse: new Uint8Array(plain), sessionTranscript: transcript.bytes };
}
