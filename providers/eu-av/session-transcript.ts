import { cborEncode, DataItem } from "@animo-id/mdoc";

/*
 * The SessionTranscript an mdoc's device signature covers (ISO/IEC 18013-5 §9.1.5.1), with the handovers of
 * OpenID4VP 1.0, Appendix B.2.6:
 *
 *   SessionTranscript = [ null, null, Handover ]           ; no device engagement, no reader key
 *
 *   redirects (direct_post):
 *     OpenID4VPHandoverInfo      = [ clientId, nonce, jwkThumbprint / null, responseUri ]
 *     Handover                   = [ "OpenID4VPHandover", SHA-256(CBOR(OpenID4VPHandoverInfo)) ]
 *
 *   Digital Credentials API (dc_api, unsigned request):
 *     OpenID4VPDCAPIHandoverInfo = [ origin, nonce, jwkThumbprint / null ]
 *     Handover                   = [ "OpenID4VPDCAPIHandover", SHA-256(CBOR(OpenID4VPDCAPIHandoverInfo)) ]
 *
 * jwkThumbprint is null: responses are not encrypted (they carry age_over booleans only). The bytes returned are
 * the tagged SessionTranscriptBytes (#6.24(bstr .cbor SessionTranscript)) that @animo-id/mdoc signs and checks.
 * Holder and provider both call these functions, so the two ends cannot drift apart.
 */

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
}

/**
 * SessionTranscriptBytes for an OpenID4VP response sent by `direct_post` to `responseUri`.
 *
 * @example
 * ```ts
 * const transcript = await redirectSessionTranscript({ clientId, nonce, responseUri });
 * ```
 */
export async function redirectSessionTranscript(input: {
  clientId: string;
  nonce: string;
  responseUri: string;
}): Promise<Uint8Array> {
  const info = cborEncode([input.clientId, input.nonce, null, input.responseUri]);
  return cborEncode(DataItem.fromData([null, null, ["OpenID4VPHandover", await sha256(info)]]));
}

/**
 * SessionTranscriptBytes for an OpenID4VP response through the Digital Credentials API, for a page of `origin`.
 *
 * @example
 * ```ts
 * const transcript = await dcApiSessionTranscript({ origin: "https://verify.example", nonce });
 * ```
 */
export async function dcApiSessionTranscript(input: { origin: string; nonce: string }): Promise<Uint8Array> {
  const info = cborEncode([input.origin, input.nonce, null]);
  return cborEncode(DataItem.fromData([null, null, ["OpenID4VPDCAPIHandover", await sha256(info)]]));
}
