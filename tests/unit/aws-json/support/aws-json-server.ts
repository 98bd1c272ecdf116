import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach } from "vitest";

/*
 * A local AWS JSON-protocol endpoint for the tests of @blindgate/aws-json (kms.ts, dynamodb.ts) and of the clients built on it: it records
 * each request (target, JSON body, whether its SigV4 signature is valid) and answers what the test sets. The
 * signature is checked with its own implementation (node:crypto, the steps of the SigV4 documentation), so the
 * SDK's own client passing the same check proves the check.
 */

export const TEST_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "AKIDSLIMTEST",
  AWS_SECRET_ACCESS_KEY: "slim-secret",
  AWS_SESSION_TOKEN: "tok",
} as const;

export interface SeenRequest {
  target: string;
  body: unknown;
  signatureOk: boolean;
  securityToken: string | undefined;
}

export interface AwsJsonServer {
  readonly endpoint: string;
  readonly seen: SeenRequest[];
  answer: { status: number; body: unknown };
  close(): Promise<void>;
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

/** SigV4, written out: canonical request, string to sign, derived key, compared with the Authorization header. */
function verifySigV4(
  service: string,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): boolean {
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      String(headers.authorization ?? ""),
    );
  if (m === null) return false;
  const [, akid, date, region, svc, signedHeaders, signature] = m as unknown as string[];
  if (akid !== TEST_CREDENTIALS.AWS_ACCESS_KEY_ID || svc !== service || region !== "eu-west-3") return false;
  const names = (signedHeaders as string).split(";");
  if (!names.includes("host") || !names.includes("x-amz-date") || !names.includes("x-amz-target"))
    return false;
  const canonicalHeaders = names.map((n) => `${n}:${String(headers[n] ?? "").trim()}\n`).join("");
  const canonical = [method, path, "", canonicalHeaders, signedHeaders, sha256(body)].join("\n");
  const scope = `${date}/${region}/${svc}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", String(headers["x-amz-date"]), scope, sha256(canonical)].join("\n");
  const kDate = hmac(`AWS4${TEST_CREDENTIALS.AWS_SECRET_ACCESS_KEY}`, date as string);
  const kSigning = hmac(hmac(hmac(kDate, region as string), svc as string), "aws4_request");
  return createHmac("sha256", kSigning).update(toSign).digest("hex") === signature;
}

export async function startAwsJsonServer(service: string, contentType: string): Promise<AwsJsonServer> {
  const seen: SeenRequest[] = [];
  const state: { answer: { status: number; body: unknown } } = { answer: { status: 200, body: {} } };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      seen.push({
        target: String(req.headers["x-amz-target"]),
        body: JSON.parse(body.toString("utf8")),
        signatureOk: verifySigV4(service, req.method ?? "", req.url ?? "", req.headers, body),
        securityToken: req.headers["x-amz-security-token"] as string | undefined,
      });
      res.writeHead(state.answer.status, { "content-type": contentType });
      res.end(JSON.stringify(state.answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    get answer() {
      return state.answer;
    },
    set answer(a) {
      state.answer = a;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * One server for a test file: started before its tests with the test credentials, the region and the service's
 * endpoint variable (`endpointVariable`) in the environment, which is restored after; what it saw and what it
 * answers are reset before each test. The object stands for the server once it has started.
 */
export function serverForFile(service: string, contentType: string, endpointVariable: string): AwsJsonServer {
  let server: AwsJsonServer | undefined;
  const started = (): AwsJsonServer => {
    if (server === undefined) throw new Error("the AWS JSON server starts in beforeAll");
    return server;
  };
  const saved = { ...process.env };
  beforeAll(async () => {
    server = await startAwsJsonServer(service, contentType);
    Object.assign(process.env, TEST_CREDENTIALS, {
      AWS_REGION: "eu-west-3",
      [endpointVariable]: server.endpoint,
    });
  });
  afterAll(async () => {
    process.env = saved;
    await server?.close();
  });
  beforeEach(() => {
    started().seen.length = 0;
    started().answer = { status: 200, body: {} };
  });
  return {
    get endpoint() {
      return started().endpoint;
    },
    get seen() {
      return started().seen;
    },
    get answer() {
      return started().answer;
    },
    set answer(a) {
      started().answer = a;
    },
    close: () => started().close(),
  };
}
