import * as sdk from "@aws-sdk/client-kms";
import { CALL_LIMITS } from "@blindgate/aws-json";
import * as slim from "@blindgate/aws-json/kms";
import { describe, expect, it } from "vitest";
import { serverForFile } from "./support/aws-json-server.js";

/*
 * The gateway's KMS client (@blindgate/aws-json/kms) and the SDK's, sent the same commands: the same
 * operation and JSON on the wire, both signatures valid (checked independently), the same answers decoded.
 */

const KEY = "arn:aws:kms:eu-west-3:111111111111:key/test";
const server = serverForFile("kms", "application/x-amz-json-1.1", "AWS_ENDPOINT_URL_KMS");

const context = { purpose: "blindgate-token-key", context: "key-1" };
const blob = new Uint8Array([1, 2, 3, 250, 251, 252]);
const dataKey = Buffer.alloc(32, 7);

describe("the gateway's KMS client", () => {
  it("sends Decrypt as the SDK does, signed, and decodes the data key", async () => {
    server.answer = { status: 200, body: { KeyId: KEY, Plaintext: dataKey.toString("base64") } };
    const input = { KeyId: KEY, CiphertextBlob: blob, EncryptionContext: context };
    const ours = await new slim.KMSClient().send(new slim.DecryptCommand(input));
    const theirs = await new sdk.KMSClient({}).send(new sdk.DecryptCommand(input));
    expect(Buffer.from(ours.Plaintext ?? [])).toEqual(dataKey);
    expect(Buffer.from(theirs.Plaintext ?? [])).toEqual(dataKey);
    expect(server.seen).toHaveLength(2);
    expect(server.seen[0]).toEqual(server.seen[1]);
    expect(server.seen[0]).toEqual({
      target: "TrentService.Decrypt",
      body: { KeyId: KEY, CiphertextBlob: Buffer.from(blob).toString("base64"), EncryptionContext: context },
      signatureOk: true,
      securityToken: "tok",
    });
  });

  it("sends GenerateDataKey as the SDK does and decodes both blobs", async () => {
    server.answer = {
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
    expect(server.seen[0]).toEqual(server.seen[1]);
    expect(server.seen[0]?.target).toBe("TrentService.GenerateDataKey");
    expect(server.seen[0]?.signatureOk).toBe(true);
    expect(ours.CiphertextBlob).toEqual(blob);
    expect(Buffer.from(ours.Plaintext ?? [])).toEqual(dataKey);
  });

  it("refuses with KMS's error type and does not retry a client error", async () => {
    server.answer = { status: 400, body: { __type: "InvalidCiphertextException", message: "bad context" } };
    const err = await new slim.KMSClient()
      .send(new slim.DecryptCommand({ KeyId: KEY, CiphertextBlob: blob, EncryptionContext: context }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(slim.KmsServiceError);
    expect(err).toMatchObject({
      name: "InvalidCiphertextException",
      statusCode: 400,
      message: "bad context",
    });
    expect(server.seen).toHaveLength(1);
  });

  it("retries server errors and throttling, up to the one attempt limit (two)", async () => {
    expect(CALL_LIMITS.maxAttempts).toBe(2);
    server.answer = { status: 500, body: { __type: "KMSInternalException" } };
    await expect(
      new slim.KMSClient().send(new slim.DecryptCommand({ KeyId: KEY, CiphertextBlob: blob })),
    ).rejects.toMatchObject({ name: "KMSInternalException" });
    expect(server.seen).toHaveLength(2);
    server.seen.length = 0;
    server.answer = { status: 400, body: { __type: "ThrottlingException" } };
    await expect(
      new slim.KMSClient().send(new slim.DecryptCommand({ KeyId: KEY, CiphertextBlob: blob })),
    ).rejects.toMatchObject({ name: "ThrottlingException" });
    expect(server.seen).toHaveLength(2);
  });
});
