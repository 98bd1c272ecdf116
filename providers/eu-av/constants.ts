/*
 * The EU age-verification attestation (av-doc-technical-specification, Annex A): an ISO/IEC 18013-5 mdoc whose
 * docType and only namespace are both `eu.europa.ec.av.1`, with boolean elements `age_over_NN` (age_over_18 is
 * mandatory, other thresholds optional). Nothing else in it is ever requested or accepted here.
 */

/** The docType of the EU age-verification attestation. */
export const AV_DOCTYPE = "eu.europa.ec.av.1";
/** Its one namespace. */
export const AV_NAMESPACE = "eu.europa.ec.av.1";
/** The id of the one credential query in our DCQL query (and the key of the vp_token object). */
export const AV_CREDENTIAL_ID = "av";
/** An element this provider accepts: age_over_NN, NN 1..150 without a leading zero. */
export const AGE_OVER_ELEMENT = /^age_over_([1-9][0-9]{0,2})$/;
/** COSE algorithm ES256 (-7): the only one requested for issuer and device signatures. */
export const COSE_ES256 = -7;
