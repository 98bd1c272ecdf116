import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/*
 * A stand-in KMS speaking the real JSON protocol (TrentService.GenerateDataKey / Decrypt) over HTTP, holding a real
 * AES-256 key and binding each data key to its encryption context, as KMS does. Real KMS clients (the SDK's, or a
 * Lambda bundle's, through AWS_ENDPOINT_URL_KMS) talk to it unchanged. No AWS account needed.
 */

export interface FakeKms {
  readonly endpoint: string;
  /** Every encryption context received, in order. */
  readonly contexts: unknown[];
  /** Every operation received, in order ("GenerateDataKey", "Decrypt"). */
  readonly operations: string[];
  stop(): Promise<void>;
}

export async function startFakeKms(): Promise<FakeKms> {
  const master = randomBytes(32);
  const contexts: unknown[] = [];
  const operations: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const input = JSON.parse(body) as Record<string, unknown>;
      const operation = String(req.headers["x-amz-target"]).split(".")[1] ?? "";
      operations.push(operation);
      const context = JSON.stringify(input.EncryptionContext ?? {});
      contexts.push(input.EncryptionContext);
      res.setHeader("content-type", "application/x-amz-json-1.1");
      if (operation === "GenerateDataKey") {
        const plaintext = randomBytes(32);
        const iv = randomBytes(12);
        const c = createCipheriv("aes-256-gcm", master, iv);
        c.setAAD(Buffer.from(context));
        const blob = Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
        res.end(
          JSON.stringify({
            KeyId: input.KeyId,
            Plaintext: plaintext.toString("base64"),
            CiphertextBlob: blob.toString("base64"),
          }),
        );
        return;
      }
      if (operation === "Decrypt") {
        const blob = Buffer.from(String(input.CiphertextBlob), "base64");
        try {
          const d = createDecipheriv("aes-256-gcm", master, blob.subarray(0, 12));
          d.setAAD(Buffer.from(context));
          d.setAuthTag(blob.subarray(blob.length - 16));
          const plaintext = Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]);
          res.end(JSON.stringify({ KeyId: input.KeyId, Plaintext: plaintext.toString("base64") }));
        } catch {
          res.statusCode = 400;
          res.end(
            JSON.stringify({ __type: "InvalidCiphertextException", message: "bad ciphertext or context" }),
          );
        }
        return;
      }
      res.statusCode = 400;
      res.end(JSON.stringify({ __type: "UnsupportedOperationException" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    contexts,
    operations,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
