import { Sha256 } from "@smithy/core/checksum";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { SignatureV4 } from "@smithy/signature-v4";
import { defaultProvider } from "./lambda-credentials.js";

/*
 * One signed AWS JSON-protocol call, for the slim clients that stand in for the SDK's inside the Lambda bundles
 * (lambda-kms.ts, lambda-dynamodb.ts; esbuild aliases in bundling.ts). Signing and transport are the SDK's own
 * (SignatureV4, NodeHttpHandler, already in every bundle); what the full clients add is the models, schemas and
 * error classes of every operation of the service, which the functions never use.
 *
 *   request:  POST / with X-Amz-Target: <prefix>.<Operation>, the input as JSON (Uint8Array -> base64)
 *   answer:   JSON (the service's blob fields base64 -> Uint8Array); errors as { __type, message }
 *
 * Region: the client's, else AWS_REGION. Endpoint: the client's, else AWS_ENDPOINT_URL_<SERVICE>, else
 * AWS_ENDPOINT_URL, else the regional one, as the SDK resolves them. Credentials: the client's, else the
 * environment (lambda-credentials.ts). Retries: up to maxAttempts (3) on network errors, 5xx and throttling.
 */

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface AwsJsonClientConfig {
  readonly region?: string;
  readonly endpoint?: string;
  readonly maxAttempts?: number;
  readonly credentials?: AwsCredentials;
}

export interface AwsJsonService {
  /** Signing name and endpoint prefix: "kms", "dynamodb". */
  readonly name: string;
  /** Suffix of AWS_ENDPOINT_URL_<...>. */
  readonly envName: string;
  readonly targetPrefix: string;
  readonly contentType: string;
  /** Answer fields that carry base64 blobs (a string, or a list of strings). */
  readonly blobFields: ReadonlySet<string>;
}

/** A refusal of the service, shaped like the SDK's ServiceException: `name` is the error type. */
export class AwsServiceError extends Error {
  readonly $fault: "client" | "server";
  readonly $metadata: { readonly httpStatusCode: number };
  constructor(
    name: string,
    message: string,
    readonly statusCode: number,
    fields: Record<string, unknown> = {},
  ) {
    super(message);
    Object.assign(this, fields);
    this.name = name;
    this.$fault = statusCode >= 500 ? "server" : "client";
    this.$metadata = { httpStatusCode: statusCode };
  }
}

/** Marks a failure before anything was sent (no credentials, bad request shape): retrying cannot help. */
const NOT_SENT = Symbol("not sent");

const RETRYABLE =
  /Throttl|LimitExceeded|ProvisionedThroughputExceeded|RequestLimitExceeded|InternalServer|KMSInternal|DependencyTimeout|ServiceUnavailable/;

export class AwsJsonClient {
  readonly config: { readonly region: string };
  private readonly endpoint: URL;
  private readonly maxAttempts: number;
  private readonly signer: SignatureV4;
  private readonly http = new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 10_000 });

  constructor(
    private readonly service: AwsJsonService,
    config: AwsJsonClientConfig = {},
  ) {
    const region = config.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "";
    if (region === "") throw new AwsServiceError("ConfigError", `no AWS_REGION for ${service.name}`, 0);
    this.config = { region };
    const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    this.endpoint = new URL(
      config.endpoint ??
        process.env[`AWS_ENDPOINT_URL_${service.envName}`] ??
        process.env.AWS_ENDPOINT_URL ??
        `https://${service.name}.${region}.${suffix}`,
    );
    this.maxAttempts = config.maxAttempts ?? 3;
    const credentials = config.credentials;
    this.signer = new SignatureV4({
      service: service.name,
      region,
      credentials: credentials !== undefined ? async () => credentials : defaultProvider(),
      sha256: Sha256,
    });
  }

  /** One operation: the output object (with $metadata), or the service's error (AwsServiceError or `toError`). */
  async call(
    operation: string,
    input: unknown,
    toError?: (e: AwsServiceError) => Error,
  ): Promise<Record<string, unknown>> {
    const body = JSON.stringify(input, (_key, value) =>
      value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value,
    );
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(operation, body);
      } catch (error) {
        const notSent = typeof error === "object" && error !== null && NOT_SENT in error;
        const retryable = notSent
          ? false
          : !(error instanceof AwsServiceError) || error.statusCode >= 500 || RETRYABLE.test(error.name);
        if (!retryable || attempt >= this.maxAttempts) {
          throw error instanceof AwsServiceError && toError !== undefined ? toError(error) : error;
        }
        await new Promise((r) => setTimeout(r, Math.random() * 50 * 2 ** attempt));
      }
    }
  }

  destroy(): void {
    this.http.destroy();
  }

  private async once(operation: string, body: string): Promise<Record<string, unknown>> {
    const request = await this.signer
      .sign({
        method: "POST",
        protocol: this.endpoint.protocol,
        hostname: this.endpoint.hostname,
        ...(this.endpoint.port !== "" ? { port: Number(this.endpoint.port) } : {}),
        path: this.endpoint.pathname,
        query: {},
        headers: {
          host: this.endpoint.host,
          "content-type": this.service.contentType,
          "x-amz-target": `${this.service.targetPrefix}.${operation}`,
          "content-length": String(Buffer.byteLength(body)),
        },
        body,
      } as Parameters<SignatureV4["sign"]>[0])
      .catch((error: unknown) => {
        throw typeof error === "object" && error !== null
          ? Object.assign(error, { [NOT_SENT]: true })
          : error;
      });
    const { response } = await this.http.handle(request as Parameters<NodeHttpHandler["handle"]>[0]);
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString("utf8");
    const blobs = this.service.blobFields;
    const json = (
      text === ""
        ? {}
        : JSON.parse(text, (key, value) =>
            !blobs.has(key)
              ? value
              : typeof value === "string"
                ? new Uint8Array(Buffer.from(value, "base64"))
                : Array.isArray(value) && value.every((v) => typeof v === "string")
                  ? value.map((v: string) => new Uint8Array(Buffer.from(v, "base64")))
                  : value,
          )
    ) as Record<string, unknown>;
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const type = String(json.__type ?? response.headers["x-amzn-errortype"] ?? "UnknownError");
      const { __type: _t, message, Message, ...fields } = json;
      throw new AwsServiceError(
        type.split("#").pop()?.split(":")[0] ?? "UnknownError",
        String(message ?? Message ?? `${this.service.name} answered ${response.statusCode}`),
        response.statusCode,
        fields,
      );
    }
    return { ...json, $metadata: { httpStatusCode: response.statusCode } };
  }
}
