import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { environmentCredentials } from "./credentials.js";
import { CALL_LIMITS } from "./limits.js";
import { SigV4Signer } from "./sigv4.js";

/*
 * One signed AWS JSON-protocol call: what the gateway's DynamoDB, KMS and Secrets Manager clients (dynamodb.ts,
 * kms.ts, the EU AV provider's grant key) are made of. The SDK's clients add the models, schemas and error
 * classes of every operation of each service, which the functions never use. Signing is SigV4 on node:crypto
 * (sigv4.ts) and transport node:http(s) over keep-alive connections, one timer per attempt.
 *
 *   request:  POST / with X-Amz-Target: <prefix>.<Operation>, the input as JSON (Uint8Array -> base64)
 *   answer:   JSON (the service's blob fields base64 -> Uint8Array); errors as { __type, message }
 *
 * Region: the client's, else AWS_REGION. Endpoint: the client's, else AWS_ENDPOINT_URL_<SERVICE>, else
 * AWS_ENDPOINT_URL, else the regional one, as the SDK resolves them. Credentials: the client's, else the
 * environment (credentials.ts), read again every minute. Attempts and timeouts: CALL_LIMITS (limits.ts), the same
 * for every client and every caller; retried on network errors, timeouts, 5xx and throttling.
 */

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface AwsJsonClientConfig {
  readonly region?: string;
  readonly endpoint?: string;
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

const {
  maxAttempts: MAX_ATTEMPTS,
  connectTimeoutMs: CONNECT_TIMEOUT_MS,
  requestTimeoutMs: REQUEST_TIMEOUT_MS,
} = CALL_LIMITS;
const CREDENTIALS_TTL_MS = 60_000;

export class AwsJsonClient {
  readonly config: { readonly region: string };
  private readonly endpoint: URL;
  readonly #signer: SigV4Signer;
  readonly #credentials: () => Promise<AwsCredentials>;
  #cached: { readonly at: number; readonly value: Promise<AwsCredentials> } | undefined;
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;
  readonly #target: {
    readonly host: string;
    readonly hostname: string;
    readonly port?: number;
    readonly path: string;
  };

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
    const credentials = config.credentials;
    this.#credentials = credentials !== undefined ? async () => credentials : environmentCredentials;
    this.#signer = new SigV4Signer(service.name, region);
    const https = this.endpoint.protocol === "https:";
    const agentOptions = { keepAlive: true, maxSockets: 50 };
    this.#agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.#request = https ? (httpsRequest as typeof httpRequest) : httpRequest;
    this.#target = {
      host: this.endpoint.host,
      hostname: this.endpoint.hostname.replace(/^\[|\]$/g, ""),
      ...(this.endpoint.port !== "" ? { port: Number(this.endpoint.port) } : {}),
      path: this.endpoint.pathname,
    };
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
        if (!retryable || attempt >= MAX_ATTEMPTS) {
          throw error instanceof AwsServiceError && toError !== undefined ? toError(error) : error;
        }
        await new Promise((r) => setTimeout(r, Math.random() * 50 * 2 ** attempt));
      }
    }
  }

  destroy(): void {
    this.#agent.destroy();
  }

  /** The credentials, resolved at most once a minute (a failed resolution is not kept). */
  #resolveCredentials(): Promise<AwsCredentials> {
    const now = Date.now();
    const cached = this.#cached;
    if (cached !== undefined && now - cached.at < CREDENTIALS_TTL_MS) return cached.value;
    const value = this.#credentials();
    this.#cached = { at: now, value };
    value.catch(() => {
      if (this.#cached?.value === value) this.#cached = undefined;
    });
    return value;
  }

  private async once(operation: string, body: string): Promise<Record<string, unknown>> {
    const target = this.#target;
    const headers: Record<string, string> = {
      "content-length": String(Buffer.byteLength(body)),
      "content-type": this.service.contentType,
      host: target.host,
      "x-amz-target": `${this.service.targetPrefix}.${operation}`,
    };
    let signed: Record<string, string>;
    try {
      signed = this.#signer.sign(
        { method: "POST", path: target.path, headers, body },
        await this.#resolveCredentials(),
      );
    } catch (error) {
      throw typeof error === "object" && error !== null ? Object.assign(error, { [NOT_SENT]: true }) : error;
    }
    const { status, headers: answerHeaders, text } = await this.#post({ ...headers, ...signed }, body);
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
    if (status < 200 || status >= 300) {
      const type = String(json.__type ?? answerHeaders["x-amzn-errortype"] ?? "UnknownError");
      const { __type: _t, message, Message, ...fields } = json;
      throw new AwsServiceError(
        type.split("#").pop()?.split(":")[0] ?? "UnknownError",
        String(message ?? Message ?? `${this.service.name} answered ${status}`),
        status,
        fields,
      );
    }
    return { ...json, $metadata: { httpStatusCode: status } };
  }

  /** One POST on a kept-alive connection: status, headers and body text; network failures and timeouts reject. */
  #post(
    headers: Record<string, string>,
    body: string,
  ): Promise<{ status: number; headers: IncomingMessage["headers"]; text: string }> {
    const target = this.#target;
    return new Promise((resolve, reject) => {
      const req = this.#request(
        {
          agent: this.#agent,
          hostname: target.hostname,
          ...(target.port !== undefined ? { port: target.port } : {}),
          method: "POST",
          path: target.path,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            clearTimeout(timer);
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString("utf8"),
            });
          });
          res.on("error", fail);
        },
      );
      const timer = setTimeout(
        () => req.destroy(new Error(`${this.service.name}: no answer within ${REQUEST_TIMEOUT_MS} ms`)),
        REQUEST_TIMEOUT_MS,
      );
      function fail(error: Error) {
        clearTimeout(timer);
        reject(error);
      }
      req.on("error", fail);
      req.on("socket", (socket) => {
        if (!socket.connecting) return;
        const connecting = setTimeout(
          () => req.destroy(new Error(`${this.service.name}: no connection within ${CONNECT_TIMEOUT_MS} ms`)),
          CONNECT_TIMEOUT_MS,
        );
        socket.once("connect", () => clearTimeout(connecting));
        socket.once("close", () => clearTimeout(connecting));
      });
      req.end(body);
    });
  }
}
