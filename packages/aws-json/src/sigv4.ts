import { createHash, createHmac } from "node:crypto";

/*
 * AWS Signature Version 4 for the JSON-protocol calls (client.ts): one POST with a JSON body, no query
 * string, headers given in lower case. The steps of the SigV4 documentation, on node:crypto:
 *
 *   CanonicalRequest = METHOD \n CanonicalURI \n (no query) \n name:value\n ... \n SignedHeaders \n hex(SHA-256(body))
 *   StringToSign     = "AWS4-HMAC-SHA256" \n X-Amz-Date \n date/region/service/aws4_request \n hex(SHA-256(CR))
 *   SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
 *   Authorization    = AWS4-HMAC-SHA256 Credential=AKID/scope, SignedHeaders=..., Signature=hex(HMAC(key, STS))
 *
 * It replaces the SDK's SignatureV4 (@smithy/signature-v4), which does the same for any request shape at several
 * times the CPU (header maps rebuilt and sorted per call, async hashing through a Checksum object), on every
 * DynamoDB call of a check. The signing key is derived once per day, region, service and secret.
 * tests/unit/aws-json/sigv4.test.ts holds it to the SDK's signer, byte for byte, on random requests.
 */

export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SigV4Request {
  readonly method: string;
  /** The path as sent (already percent-encoded), "/" for the AWS JSON services. */
  readonly path: string;
  /** Lower-case names; host included. Every one is signed. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const ALGORITHM = "AWS4-HMAC-SHA256";

/** RFC 3986 unreserved characters stay, everything else is %XX (upper case), as SigV4 wants. */
function uriEscape(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** SigV4's canonical URI for services other than S3: normalised segments, URI-encoded once more. */
export function canonicalPath(path: string): string {
  if (path === "/" || path === "") return "/";
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const normalised = `${path.startsWith("/") ? "/" : ""}${segments.join("/")}${segments.length > 0 && path.endsWith("/") ? "/" : ""}`;
  return uriEscape(normalised).replace(/%2F/g, "/");
}

/** 20240102T030405Z */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

const sha256Hex = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");

export class SigV4Signer {
  #key: { readonly day: string; readonly secret: string; readonly key: Buffer } | undefined;

  constructor(
    readonly service: string,
    readonly region: string,
  ) {}

  /**
   * The headers to add to `request`: authorization, x-amz-date and, with temporary credentials,
   * x-amz-security-token (both signed too).
   */
  sign(request: SigV4Request, credentials: SigV4Credentials, now: Date = new Date()): Record<string, string> {
    const date = amzDate(now);
    const day = date.slice(0, 8);
    const added: Record<string, string> = { "x-amz-date": date };
    if (credentials.sessionToken !== undefined) added["x-amz-security-token"] = credentials.sessionToken;
    const all: Record<string, string> = { ...request.headers, ...added };
    const names = Object.keys(all).sort();
    let canonicalHeaders = "";
    for (const name of names) canonicalHeaders += `${name}:${all[name]!.trim().replace(/\s+/g, " ")}\n`;
    const signedHeaders = names.join(";");
    const canonicalRequest = `${request.method}\n${canonicalPath(request.path)}\n\n${canonicalHeaders}\n${signedHeaders}\n${sha256Hex(request.body)}`;
    const scope = `${day}/${this.region}/${this.service}/aws4_request`;
    const stringToSign = `${ALGORITHM}\n${date}\n${scope}\n${sha256Hex(canonicalRequest)}`;
    const signature = createHmac("sha256", this.#signingKey(day, credentials.secretAccessKey))
      .update(stringToSign, "utf8")
      .digest("hex");
    added.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return added;
  }

  #signingKey(day: string, secret: string): Buffer {
    const cached = this.#key;
    if (cached !== undefined && cached.day === day && cached.secret === secret) return cached.key;
    const hmac = (key: string | Buffer, data: string) =>
      createHmac("sha256", key).update(data, "utf8").digest();
    const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), this.region), this.service), "aws4_request");
    this.#key = { day, secret, key };
    return key;
  }
}
