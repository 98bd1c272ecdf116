import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as sdk from "@aws-sdk/client-kms";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as slim from "../../../infra/constructs/lambda-kms.js";

/*
 * The bundles' KMS client (infra/constructs/lambda-kms.ts) against a server that checks every request's SigV4
 * signature with its own implementation (node:crypto, the steps of the SigV4 documentation). The SDK's own KMS
 * client is sent the same commands: both must put the same operation and the same JSON on the wire, and both must
 * pass the same signature check (which proves the check itself).
 */

const CREDS = {
  AWS_ACCESS_KEY_ID: "AKIDKMSTEST",
  AWS_SECRET_ACCESS_KEY: "kms-secret",
  AWS_SESSION_TOKEN: "tok",
};
const KEY = "arn:aws:kms:eu-west-3:111111111111:key/test";

interface Seen {
  target: string;
  body: unknown;
  signatureOk: boolean;
  securityToken: string | undefined;
}

let server: Server;
let endpoint: string;
const seen: Seen[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };
const saved = { ...process.env };

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

/** SigV4, written out: canonical request, string to sign, derived key, compared with the Authorization header. */
function verifySigV4(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): boolean {
  const auth = String(headers.authorization ?? "");
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (m === null) return false;
  const [, akid, date, region, service, signedHeaders, signature] = m as unknown as string[];
  if (akid !== CREDS.AWS_ACCESS_KEY_ID || service !== "kms" || region !== "eu-west-3") return false;
  const names = (signedHeaders as string).split(";");
  if (!names.includes("host") || !names.includes("x-amz-date") || !names.includes("x-amz-target"))
    return false;
  const canonicalHeaders = names.map((n) => `${n}:${String(headers[n] ?? "").trim()}\n`).join("");
  const canonical = [method, path, "", canonicalHeaders, signedHeaders, sha256(body)].join("\n");
  const amzDate = String(headers["x-amz-date"]);
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  const kDate = hmac(`AWS4${CREDS.AWS_SECRET_ACCESS_KEY}`, date as string);
  const kSigning = hmac(hmac(hmac(kDate, region as string), service as string), "aws4_request");
  return createHmac("sha256", kSigning).update(toSign).digest("hex") === signature;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      seen.push({
        target: String(req.headers["x-amz-target"]),
        body: JSON.parse(body.toString("utf8")),
        signatureOk: verifySigV4(req.method ?? "", req.url ?? "", req.headers, body),
        securityToken: req.headers["x-amz-security-token"] as string | undefined,
      });
      res.writeHead(answer.status, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(process.env, CREDS, { AWS_REGION: "eu-west-3", AWS_ENDPOINT_URL_KMS: endpoint });
});

afterAll(async () => {
  process.env = saved;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
  answer = { status: 200, body: {} };
});

const context = { purpose: "blindgate-token-key", context: "key-1" };
const blob = new Uint8Array([1, 2, 3, 250, 251, 252]);
const dataKey = Buffer.alloc(32, 7);

describe("the bundles' KMS client", () => {
  it("sends Decrypt as the SDK does, signed, and decodes the data key", async () => {
    answer = { status: 200, body: { KeyId: KEY, Plaintext: dataKey.toString("base64") } };
    const input = { KeyId: KEY, CiphertextBlob: blob, EncryptionContext: context };
    const ours = await new slim.KMSClient().send(new slim.DecryptCommand(input));
    const theirs = await new sdk.KMSClient({}).send(new sdk.DecryptCommand(input));
    expect(Buffer.from(ours.Plaintext ?? [])).toEqual(dataKey);
    expect(Buffer.from(theirs.Plaintext ?? [])).toEqual(dataKey);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]).toEqual({
      target: "TrentService.Decrypt",
      body: { KeyId: KEY, CiphertextBlob: Buffer.from(blob).toString("base64"), EncryptionContext: context },
      signatureOk: true,
      securityToken: "tok",
    });
  });

  it("sends GenerateDataKey as the SDK does and decodes both blobs", async () => {
    answer = {
      status: 200,
      body: {
        KeyId: KEY,
        Plaintext: dataKey.toString("base64"),
        CiphertextBlob: Buffer.from(blob).toString("base64"),
      },
    };
    const input = { KeyId: KEY, KeySpec: "AES_256" as const, EncryptionContext: context };
    const ours = await new slim.KMSClient().send(new slim.GenerateDataKeyCommand(input));
    await new sdk.KMSClient({}).send(new sdk.GenerateDataKeyCommand(input));
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]?.target).toBe("TrentService.GenerateDataKey");
    expect(seen[0]?.signatureOk).toBe(true);
    expect(ours.CiphertextBlob).toEqual(blob);
    expect(Buffer.from(ours.Plaintext ?? [])).toEqual(dataKey);
  });

  it("refuses with KMS's error type and does not retry a client error", async () => {
    answer = { status: 400, body: { __type: "InvalidCiphertextException", message: "bad context" } };
    const err = await new slim.KMSClient()
      .send(new slim.DecryptCommand({ KeyId: KEY, CiphertextBlob: blob, EncryptionContext: context }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(slim.KmsServiceError);
    expect(err).toMatchObject({ name: "InvalidCiphertextException", statusCode: 400 });
    expect(seen).toHaveLength(1);
  });

  it("retries server errors and throttling up to three attempts", async () => {
    answer = { status: 500, body: { __type: "KMSInternalException" } };
    await expect(
      new slim.KMSClient().send(new slim.DecryptCommand({ KeyId: KEY, CiphertextBlob: blob })),
    ).rejects.toMatchObject({ name: "KMSInternalException" });
    expect(seen).toHaveLength(3);
    seen.length = 0;
    answer = { status: 400, body: { __type: "ThrottlingException" } };
    await expect(
      new slim.KMSClient({ maxAttempts: 2 }).send(
        new slim.DecryptCommand({ KeyId: KEY, CiphertextBlob: blob }),
      ),
    ).rejects.toMatchObject({ name: "ThrottlingException" });
    expect(seen).toHaveLength(2);
  });
});
