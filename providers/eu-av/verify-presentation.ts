import {
  DeviceSignedDocument,
  parseDeviceResponse,
  type VerificationAssessment,
  Verifier,
} from "@animo-id/mdoc";
import { AGE_OVER_ELEMENT, AV_DOCTYPE, AV_NAMESPACE } from "./constants.js";
import { EuAvError, type EuAvErrorCode } from "./errors.js";
import { mdocContext } from "./mdoc-context.js";
import type { TrustedIacas } from "./trust.js";

/*
 * Verifying one DeviceResponse (ISO/IEC 18013-5 §8.3.2.1.2.2) that should carry the EU age-verification attestation
 * and nothing else. Policy first (cheap, and no signature work on garbage), then the library's checks:
 *
 *   1. Parse: CBOR DeviceResponse, version 1.x, exactly one document, status 0.
 *   2. docType eu.europa.ec.av.1 (the document's and the MSO's: the parser refuses a mismatch).
 *   3. Disclosed: issuer-signed elements only in the AV namespace, only age_over_NN, booleans; no device-signed
 *      elements at all. Anything more refuses the whole response (we never look at what else it says).
 *   4. @animo-id/mdoc Verifier.verifyDeviceResponse, each failed check mapped to a code:
 *        issuer chain to a trusted IACA at `now` (ours: trust.ts)            ERR_ISSUER_UNTRUSTED
 *        MSO signature with the DS key                                       ERR_ISSUER_SIGNATURE
 *        MSO validFrom <= now <= validUntil; signed within the DS validity   ERR_VALIDITY
 *        device signature over DeviceAuthentication(SessionTranscript, ...)  ERR_DEVICE_SIGNATURE
 *        digest of each disclosed element equals the MSO's valueDigests      ERR_DIGEST
 *   5. The highest configured threshold T such that a disclosed age_over_NN with NN >= T is true; claims must agree
 *      with each other (age_over_18 true and age_over_16 false is refused).
 */

/**
 * What a verified presentation says: the highest configured threshold met and, when a band was asked for and both
 * its bounds are proved, the band's upper end and until when it holds. Nothing else.
 */
export interface AgeResult {
  readonly ageOver: number;
  /** The person is younger than this (an `age_over_NN = false` disclosed for a band request). */
  readonly ageBelow?: number;
  /** With ageBelow: UNIX seconds, a UTC midnight, before which that holds (see {@link bandFromClaims}). */
  readonly belowUntil?: number;
}

/** A band asked for: [from, below), e.g. { from: 13, below: 16 } for 13 to 15. */
export interface BandRequest {
  readonly from: number;
  readonly below: number;
}

export interface VerifyOptions {
  trust: TrustedIacas;
  /** The SessionTranscriptBytes of this request (session-transcript.ts). */
  sessionTranscript: Uint8Array;
  /** The thresholds this provider attests (ascending or not). */
  thresholds: readonly number[];
  /** The band the wallet asked for, when it did: its two bounds are then what is read. */
  band?: BandRequest | undefined;
  now: Date;
}

const verifier = new Verifier();

/** Which code a failed library check maps to, by category and check text; the first matching rule wins. */
const CHECKS: readonly [VerificationAssessment["category"], RegExp, EuAvErrorCode][] = [
  ["DOCUMENT_FORMAT", /./, "ERR_MDOC_MALFORMED"],
  ["ISSUER_AUTH", /certificate must be valid|Country name/i, "ERR_ISSUER_UNTRUSTED"],
  ["ISSUER_AUTH", /signed date|valid at the time/i, "ERR_VALIDITY"],
  ["ISSUER_AUTH", /./, "ERR_ISSUER_SIGNATURE"],
  ["DATA_INTEGRITY", /./, "ERR_DIGEST"],
  ["DEVICE_AUTH", /./, "ERR_DEVICE_SIGNATURE"],
];
const PRIORITY: readonly EuAvErrorCode[] = [
  "ERR_MDOC_MALFORMED",
  "ERR_ISSUER_UNTRUSTED",
  "ERR_ISSUER_SIGNATURE",
  "ERR_VALIDITY",
  "ERR_DIGEST",
  "ERR_DEVICE_SIGNATURE",
];

/**
 * Verify an encoded DeviceResponse carrying the EU AV attestation, for one request's session transcript. Returns
 * the highest threshold met; throws EuAvError with the code of the first failed step otherwise.
 *
 * @example
 * ```ts
 * const { ageOver } = await verifyAgePresentation(deviceResponse, {
 *   trust, sessionTranscript, thresholds: [13, 15, 16, 18, 21], now: new Date(),
 * });
 * ```
 */
export async function verifyAgePresentation(encoded: Uint8Array, options: VerifyOptions): Promise<AgeResult> {
  // 1-3. Parse and apply the disclosure policy.
  const { claims, validUntil } = disclosedAgeClaims(encoded);

  // 4. Signatures, chain, validity, digests.
  const failed = new Set<EuAvErrorCode>();
  const onCheck = (item: VerificationAssessment) => {
    if (item.status !== "FAILED") return;
    const rule = CHECKS.find(([category, check]) => category === item.category && check.test(item.check));
    failed.add(rule?.[2] ?? "ERR_MDOC_MALFORMED");
  };
  try {
    await verifier.verifyDeviceResponse(
      {
        encodedDeviceResponse: encoded,
        encodedSessionTranscript: options.sessionTranscript,
        trustedCertificates: options.trust.certificates.map((c) => new Uint8Array(c.raw)),
        now: options.now,
        onCheck,
      },
      mdocContext(options.trust, () => options.now),
    );
  } catch (cause) {
    throw new EuAvError("ERR_MDOC_MALFORMED", "the DeviceResponse could not be verified", { cause });
  }
  const code = PRIORITY.find((c) => failed.has(c));
  if (code !== undefined) throw new EuAvError(code, MESSAGES[code] ?? "the presentation is refused");

  // 5. The threshold, or the band.
  if (options.band !== undefined) {
    return bandFromClaims(claims, options.band, validUntil, options.thresholds, options.now);
  }
  return { ageOver: highestThresholdMet(claims, options.thresholds) };
}

const DAY = 86_400;
/** The latest below_until, in days from now: the provider SDK's intervalFromBirthDate horizon, so bands from
 * every provider live as long. */
export const BAND_HORIZON_DAYS = 35;

/**
 * A band request's answer. `age_over_NN = false` is read as an upper bound ("under NN"), as ISO 18013-5 allows an
 * age_over element to be disclosed false:
 *
 *   age_over_<from> true and age_over_<below> false   the band: ageOver from, ageBelow below
 *   age_over_<from> true only (or <below> true)        a threshold: ageOver only (an adult asked for a teen band)
 *   age_over_<from> false                              under the band: ERR_UNDER_AGE
 *   neither bound disclosed                            ERR_AGE_CLAIMS: the attestation proves nothing asked
 *
 * Without a birth date, when the person stops being under `below` is unknown; what is known is that the issuer
 * vouches for "not over <below>" only while the attestation is valid. So belowUntil is the MSO's
 * validityInfo.validUntil floored to a UTC midnight: never later than the issuer's own bound, and on the day grid
 * grants use (a whole-day coarsening; an issuer of minors' attestations sets validUntil before the birthday that
 * would change the answer, which is what the blueprint's short-lived attestations do). It is also capped at
 * BAND_HORIZON_DAYS from now, as the SDK caps a birth date's, so a long-lived attestation does not make long-lived
 * band tokens.
 */
export function bandFromClaims(
  claims: ReadonlyMap<number, boolean>,
  band: BandRequest,
  validUntil: Date,
  thresholds: readonly number[],
  now: Date,
): AgeResult {
  const lower = claims.get(band.from);
  const upper = claims.get(band.below);
  if (lower === undefined && upper === undefined) {
    throw new EuAvError("ERR_AGE_CLAIMS", "the attestation proves neither bound of the band asked for");
  }
  if (lower === false) throw new EuAvError("ERR_UNDER_AGE", "younger than the band asked for");
  if (lower === undefined) throw new EuAvError("ERR_AGE_CLAIMS", "the band's lower bound is not proved");
  const ageOver = highestThresholdMet(claims, thresholds);
  if (upper !== false) return { ageOver };
  const seconds = Math.min(validUntil.getTime() / 1000, now.getTime() / 1000 + BAND_HORIZON_DAYS * DAY);
  const belowUntil = Math.floor(seconds / DAY) * DAY;
  if (belowUntil <= now.getTime() / 1000) return { ageOver };
  return { ageOver, ageBelow: band.below, belowUntil };
}

const MESSAGES: Partial<Record<EuAvErrorCode, string>> = {
  ERR_MDOC_MALFORMED: "the DeviceResponse is malformed",
  ERR_ISSUER_UNTRUSTED: "the issuer does not chain to a trusted IACA",
  ERR_ISSUER_SIGNATURE: "the issuer signature does not verify",
  ERR_VALIDITY: "the attestation is not valid now",
  ERR_DIGEST: "a disclosed element does not match its digest",
  ERR_DEVICE_SIGNATURE: "the device signature over this request does not verify",
};

/**
 * Steps 1-3: the age_over claims of the one AV document and its MSO's validUntil, or a refusal. No signature is
 * checked here.
 */
export function disclosedAgeClaims(encoded: Uint8Array): { claims: Map<number, boolean>; validUntil: Date } {
  let documents: unknown[];
  let version: string;
  let status: number;
  try {
    const parsed = parseDeviceResponse(encoded);
    documents = parsed.documents;
    version = parsed.version;
    status = parsed.status;
  } catch (cause) {
    throw new EuAvError("ERR_MDOC_MALFORMED", "not a DeviceResponse", { cause });
  }
  if (typeof version !== "string" || !/^1\.\d+$/.test(version) || status !== 0 || documents.length !== 1) {
    throw new EuAvError("ERR_MDOC_MALFORMED", "a DeviceResponse 1.x with exactly one document is expected");
  }
  const doc = documents[0];
  if (!(doc instanceof DeviceSignedDocument)) {
    throw new EuAvError("ERR_DEVICE_SIGNATURE", "the document is not device-signed");
  }
  if (doc.docType !== AV_DOCTYPE) throw new EuAvError("ERR_DOCTYPE", `only ${AV_DOCTYPE} is accepted`);

  const deviceNameSpaces = doc.deviceSigned.nameSpaces;
  if (!(deviceNameSpaces instanceof Map) || deviceNameSpaces.size > 0) {
    throw new EuAvError("ERR_EXTRA_CLAIMS", "device-signed elements are not accepted");
  }
  const claims = new Map<number, boolean>();
  const nameSpaces = doc.issuerSigned.nameSpaces;
  if (!(nameSpaces instanceof Map)) throw new EuAvError("ERR_MDOC_MALFORMED", "no issuer-signed namespaces");
  for (const [nameSpace, items] of nameSpaces) {
    if (nameSpace !== AV_NAMESPACE) throw new EuAvError("ERR_NAMESPACE", `only ${AV_NAMESPACE} is accepted`);
    if (!Array.isArray(items)) throw new EuAvError("ERR_MDOC_MALFORMED", "namespace is not a list");
    for (const item of items) {
      let id: unknown;
      let value: unknown;
      try {
        id = item.elementIdentifier;
        value = item.elementValue;
      } catch (cause) {
        throw new EuAvError("ERR_MDOC_MALFORMED", "an issuer-signed item does not parse", { cause });
      }
      const match = typeof id === "string" ? AGE_OVER_ELEMENT.exec(id) : null;
      if (match === null) throw new EuAvError("ERR_EXTRA_CLAIMS", "only age_over_NN elements are accepted");
      const nn = Number(match[1]);
      if (nn > 150 || typeof value !== "boolean" || (claims.has(nn) && claims.get(nn) !== value)) {
        throw new EuAvError("ERR_AGE_CLAIMS", "age_over_NN must be one boolean, NN <= 150");
      }
      claims.set(nn, value);
    }
  }
  if (claims.size === 0) throw new EuAvError("ERR_AGE_CLAIMS", "no age_over claim was disclosed");
  let validUntil: unknown;
  try {
    validUntil = doc.issuerSigned.issuerAuth.decodedPayload.validityInfo.validUntil;
  } catch (cause) {
    throw new EuAvError("ERR_MDOC_MALFORMED", "the MSO does not parse", { cause });
  }
  if (!(validUntil instanceof Date) || Number.isNaN(validUntil.getTime())) {
    throw new EuAvError("ERR_MDOC_MALFORMED", "the MSO has no validUntil");
  }
  return { claims, validUntil };
}

/** Step 5: the highest threshold T with some true age_over_NN, NN >= T; refuses contradictory claims. */
export function highestThresholdMet(
  claims: ReadonlyMap<number, boolean>,
  thresholds: readonly number[],
): number {
  const trueAges = [...claims].filter(([, v]) => v).map(([nn]) => nn);
  const falseAges = [...claims].filter(([, v]) => !v).map(([nn]) => nn);
  const oldestTrue = Math.max(0, ...trueAges);
  // "over 18" and "not over 16" cannot both hold
  if (falseAges.some((nn) => nn <= oldestTrue)) {
    throw new EuAvError("ERR_AGE_CLAIMS", "the age_over claims contradict each other");
  }
  const met = thresholds.filter((t) => t <= oldestTrue);
  if (met.length === 0) throw new EuAvError("ERR_UNDER_AGE", "no threshold is met");
  return Math.max(...met);
}
