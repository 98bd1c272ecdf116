import { Sha256 } from "@smithy/core/checksum";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { SignatureV4 } from "@smithy/signature-v4";
import { defaultProvider } from "./lambda-credentials.js";

/*
 * Stands in for @aws-sdk/client-kms inside the Lambda bundles (esbuild alias, see bundling.ts), the way
 * lambda-credentials.ts stands in for the credential chain.
 *
 * The functions call exactly two KMS operations (functions/issuer/key-vault.ts): Decrypt (issue) and
 * GenerateDataKey (rotate-keys), and map every failure to one error code (ERR_VAULT_KMS). The SDK's KMS client
 * carries the models, error classes and schemas of all 50-odd KMS operations: 27 KiB of every bundle that uses
 * it, which kept issue over 250 KiB. This client speaks the same wire protocol (AWS JSON 1.1, TrentService) with
 * the SDK's own SigV4 signer and HTTP handler (already in the bundle for DynamoDB): same signing, same transport.
 *
 * Region: AWS_REGION (set by Lambda). Endpoint: AWS_ENDPOINT_URL_KMS, then AWS_ENDPOINT_URL, then the regional
 * one, as the SDK resolves them. Retries: 3 attempts on network errors, 5xx and throttling, with jittered backoff.
 * Local mode, tests and the admin CLI are not bundled and keep the SDK's client.
 */

export interface KmsEncryptionContext {
  readonly [key: string]: string;
}

export interface DecryptCommandInput {
  readonly KeyId?: string;
  readonly CiphertextBlob: Uint8Array | undefined;
  readonly EncryptionContext?: KmsEncryptionContext;
}

export interface GenerateDataKeyCommandInput {
  readonly KeyId: string | undefined;
  readonly KeySpec?: "AES_256" | "AES_128";
  readonly NumberOfBytes?: number;
  readonly EncryptionContext?: KmsEncryptionContext;
}

interface KmsOutput {
  KeyId?: string;
  Plaintext?: Uint8Array;
  CiphertextBlob?: Uint8Array;
}

abstract class KmsCommand<I> {
  abstract readonly operation: "Decrypt" | "GenerateDataKey";
  constructor(readonly input: I) {}
}

export class DecryptCommand extends KmsCommand<DecryptCommandInput> {
  readonly operation = "Decrypt";
}

export class GenerateDataKeyCommand extends KmsCommand<GenerateDataKeyCommandInput> {
  readonly operation = "GenerateDataKey";
}

/** What KMS answered when it refused (the SDK's ServiceException shape: name = the error type). */
export class KmsServiceError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

export interface KMSClientConfig {
  readonly region?: string;
  readonly endpoint?: string;
  readonly maxAttempts?: number;
}

const BLOB_FIELDS = new Set(["CiphertextBlob", "Plaintext"]);
const RETRYABLE = /Throttl|LimitExceeded|KMSInternal|DependencyTimeout|ServiceUnavailable/;

export class KMSClient {
  private readonly region: string;
  private readonly endpoint: URL;
  private readonly maxAttempts: number;
  private readonly signer: SignatureV4;
  private readonly http = new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 5000 });

  constructor(config: KMSClientConfig = {}) {
    this.region = config.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "";
    if (this.region === "") throw new KmsServiceError("ConfigError", "no AWS_REGION for KMS", 0);
    const suffix = this.region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    this.endpoint = new URL(
      config.endpoint ??
        process.env.AWS_ENDPOINT_URL_KMS ??
        process.env.AWS_ENDPOINT_URL ??
        `https://kms.${this.region}.${suffix}`,
    );
    this.maxAttempts = config.maxAttempts ?? 3;
    this.signer = new SignatureV4({
      service: "kms",
      region: this.region,
      credentials: defaultProvider(),
      sha256: Sha256,
    });
  }

  async send(command: DecryptCommand | GenerateDataKeyCommand): Promise<KmsOutput> {
    const body = JSON.stringify(command.input, (key, value) =>
      BLOB_FIELDS.has(key) && value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value,
    );
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(command.operation, body);
      } catch (error) {
        const retryable =
          !(error instanceof KmsServiceError) || error.statusCode >= 500 || RETRYABLE.test(error.name);
        if (!retryable || attempt >= this.maxAttempts) throw error;
        await new Promise((r) => setTimeout(r, Math.random() * 100 * 2 ** attempt));
      }
    }
  }

  destroy(): void {
    this.http.destroy();
  }

  private async once(operation: string, body: string): Promise<KmsOutput> {
    const request = await this.signer.sign({
      method: "POST",
      protocol: this.endpoint.protocol,
      hostname: this.endpoint.hostname,
      ...(this.endpoint.port !== "" ? { port: Number(this.endpoint.port) } : {}),
      path: this.endpoint.pathname,
      query: {},
      headers: {
        host: this.endpoint.host,
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": `TrentService.${operation}`,
        "content-length": String(Buffer.byteLength(body)),
      },
      body,
    } as Parameters<SignatureV4["sign"]>[0]);
    const { response } = await this.http.handle(request as Parameters<NodeHttpHandler["handle"]>[0]);
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString("utf8");
    const json = (text === "" ? {} : JSON.parse(text)) as Record<string, unknown>;
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const type = String(json.__type ?? response.headers["x-amzn-errortype"] ?? "KMSError");
      throw new KmsServiceError(
        type.split("#").pop()?.split(":")[0] ?? "KMSError",
        String(json.message ?? json.Message ?? `KMS answered ${response.statusCode}`),
        response.statusCode,
      );
    }
    const out: KmsOutput = {};
    if (typeof json.KeyId === "string") out.KeyId = json.KeyId;
    for (const field of ["Plaintext", "CiphertextBlob"] as const) {
      const value = json[field];
      if (typeof value === "string") out[field] = new Uint8Array(Buffer.from(value, "base64"));
    }
    return out;
  }
}
