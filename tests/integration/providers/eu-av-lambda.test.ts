import "../../support/reflect-metadata.js";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportGrantPrivateJwk, generateGrantKey } from "@blindgate/sdk/provider";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { createLocalJWKSet, decodeJwt, type JWK, jwtVerify } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { lambdaContext } from "../../../dev/lambda-http.js";
import { EuAvConfigError } from "../../../providers/eu-av/errors.js";
import { euAvDepsFromEnv, handler } from "../../../providers/eu-av/lambda.js";
import { createSessionsTable } from "../../../providers/eu-av/table.js";
import { type DynamoServer, startDynalite } from "../../support/dynamo.js";
import {
  answerRequest,
  createDeviceKey,
  createDocumentSigner,
  createTestIaca,
  issueAttestation,
  type TestSigner,
} from "../../support/eu-av-holder.js";
import {
  type AwsJsonServer,
  startAwsJsonServer,
  TEST_CREDENTIALS,
} from "../../unit/aws-json/support/aws-json-server.js";

/*
 * The deployed entry (providers/eu-av/lambda.ts) as Lambda runs it: euAvDepsFromEnv over a full environment (a
 * test IACA made now, a grant key JWK, sessions in dynalite through DYNAMO_ENDPOINT), and the exported `handler`
 * driven with API Gateway HTTP API v2 events through one whole presentation: the wallet opens /verify, the test
 * holder answers the openid4vp:// request by direct_post (its fetch turned into an event), the page collects the
 * grant, which verifies with /jwks.json. A missing or bad variable is an error naming it; the grant key is in no
 * error and in no log line. The Secrets Manager path reads the key by ARN from a local AWS JSON endpoint that
 * checks the request's SigV4 signature.
 */

const WALLET = "https://wallet.example";
const PUBLIC_URL = "https://eu-av.example/av";
const TABLE = "eu-av-lambda-sessions";
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:eu-av/grant-key-AbCdEf";

let dynamo: DynamoServer;
let signer: TestSigner;
let iacaPem: string;
let grantJwk: JWK;
let grantKeyText: string;
let env: Record<string, string>;

beforeAll(async () => {
  dynamo = await startDynalite();
  const client = dynamo.client();
  await createSessionsTable(client, TABLE);
  client.destroy();
  const iaca = await createTestIaca();
  iacaPem = iaca.pem;
  signer = await createDocumentSigner(iaca);
  grantJwk = await exportGrantPrivateJwk(await generateGrantKey({ kid: "eu-av-lambda" }));
  grantKeyText = JSON.stringify(grantJwk);
  env = {
    EU_AV_PROVIDER_ID: "eu-av",
    EU_AV_GATEWAY_ISSUER: "gateway.example",
    EU_AV_WALLET_ORIGINS: WALLET,
    EU_AV_PUBLIC_URL: PUBLIC_URL,
    EU_AV_TRUSTED_IACAS: iacaPem,
    EU_AV_GRANT_KEY: grantKeyText,
    EU_AV_SESSIONS_TABLE: TABLE,
    DYNAMO_ENDPOINT: dynamo.endpoint,
    AWS_REGION: "local",
  };
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Everything `text` could leak of the grant key: the JWK, and its private scalar alone. */
function expectNoKey(text: string) {
  expect(text).not.toContain(grantJwk.d as string);
  expect(text).not.toContain(grantKeyText);
}

describe("euAvDepsFromEnv", () => {
  it("builds the provider from a full environment", async () => {
    const deps = await euAvDepsFromEnv(env);
    expect(deps.config).toMatchObject({
      providerId: "eu-av",
      gatewayIssuer: "gateway.example",
      walletOrigins: [WALLET],
      publicUrl: PUBLIC_URL,
      thresholds: [13, 15, 16, 18, 21],
    });
    expect(deps.trust.certificates).toHaveLength(1);
    expect(deps.grantKey.kid).toBe("eu-av-lambda");
    expect(await deps.sessions.get("no-such-session")).toBeUndefined(); // dynalite answered
  });

  const badKey = () => JSON.stringify({ ...grantJwk, crv: "P-384" });
  const cases: [string, string, () => string | undefined, RegExp][] = [
    ["provider id missing", "EU_AV_PROVIDER_ID", () => undefined, /^EU_AV_PROVIDER_ID is missing$/],
    ["gateway issuer missing", "EU_AV_GATEWAY_ISSUER", () => "", /^EU_AV_GATEWAY_ISSUER is missing$/],
    [
      "wallet origin with a path",
      "EU_AV_WALLET_ORIGINS",
      () => `${WALLET}/x`,
      /^EU_AV_WALLET_ORIGINS is not valid/,
    ],
    ["public URL not a URL", "EU_AV_PUBLIC_URL", () => "eu-av.example", /^EU_AV_PUBLIC_URL is not valid/],
    ["thresholds not numbers", "EU_AV_THRESHOLDS", () => "18,adult", /^EU_AV_THRESHOLDS is not valid/],
    ["session TTL too long", "EU_AV_SESSION_TTL", () => "86400", /^EU_AV_SESSION_TTL is not valid/],
    [
      "sessions per minute zero",
      "EU_AV_SESSIONS_PER_MINUTE",
      () => "0",
      /^EU_AV_SESSIONS_PER_MINUTE is not valid/,
    ],
    ["no trusted IACA", "EU_AV_TRUSTED_IACAS", () => undefined, /^EU_AV_TRUSTED_IACAS is missing/],
    [
      "trusted IACAs without a certificate",
      "EU_AV_TRUSTED_IACAS",
      () => "not a pem",
      /^EU_AV_TRUSTED_IACAS is not a PEM bundle/,
    ],
    [
      "a document signer (not a CA) as IACA",
      "EU_AV_TRUSTED_IACAS",
      () => signer.pem,
      /^EU_AV_TRUSTED_IACAS is not a PEM bundle of IACA certificates \(a trusted IACA is not a CA/,
    ],
    ["no table", "EU_AV_SESSIONS_TABLE", () => undefined, /^EU_AV_SESSIONS_TABLE is missing$/],
    ["bad table name", "EU_AV_SESSIONS_TABLE", () => "a b", /^EU_AV_SESSIONS_TABLE is not a DynamoDB table/],
    ["bad DynamoDB endpoint", "DYNAMO_ENDPOINT", () => "local host", /^DYNAMO_ENDPOINT is not a URL$/],
    ["no grant key at all", "EU_AV_GRANT_KEY", () => undefined, /^EU_AV_GRANT_KEY_SECRET_ARN is missing/],
    [
      "grant key cut short (not JSON)",
      "EU_AV_GRANT_KEY",
      () => grantKeyText.slice(0, -1), // holds the whole private scalar
      /^EU_AV_GRANT_KEY does not hold a JSON private JWK$/,
    ],
    [
      "grant key on another curve",
      "EU_AV_GRANT_KEY",
      badKey,
      /^EU_AV_GRANT_KEY does not hold a P-256 private/,
    ],
  ];

  it.each(cases)("%s: an EuAvConfigError naming %s, without the key", async (_, variable, value, message) => {
    const broken: Record<string, string | undefined> = { ...env, [variable]: value() };
    const error = await euAvDepsFromEnv(broken).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EuAvConfigError);
    const e = error as EuAvConfigError;
    expect(e.message).toMatch(message);
    expect(e.message).toContain(e.variable);
    expect(e.cause).toBeUndefined();
    expectNoKey(`${e.message} ${e.stack ?? ""} ${JSON.stringify(e)}`);
  });

  it("the trusted IACAs from a file of the package (EU_AV_TRUSTED_IACAS_FILE, relative to LAMBDA_TASK_ROOT)", async () => {
    const root = mkdtempSync(join(tmpdir(), "eu-av-task-"));
    try {
      writeFileSync(join(root, "trusted-iacas.pem"), `${iacaPem}\n${(await createTestIaca()).pem}`);
      const fromFile = { ...env, EU_AV_TRUSTED_IACAS: undefined, LAMBDA_TASK_ROOT: root };
      const deps = await euAvDepsFromEnv({ ...fromFile, EU_AV_TRUSTED_IACAS_FILE: "trusted-iacas.pem" });
      expect(deps.trust.certificates).toHaveLength(2);
      await expect(euAvDepsFromEnv({ ...fromFile, EU_AV_TRUSTED_IACAS_FILE: "missing.pem" })).rejects.toThrow(
        /^EU_AV_TRUSTED_IACAS_FILE names a file that cannot be read$/,
      );
      await expect(
        euAvDepsFromEnv({ ...env, EU_AV_TRUSTED_IACAS_FILE: "trusted-iacas.pem" }),
      ).rejects.toThrow(/^EU_AV_TRUSTED_IACAS must not be set together with EU_AV_TRUSTED_IACAS_FILE$/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("a secret ARN and an inline key together are refused", async () => {
    await expect(euAvDepsFromEnv({ ...env, EU_AV_GRANT_KEY_SECRET_ARN: SECRET_ARN })).rejects.toThrow(
      /^EU_AV_GRANT_KEY must not be set together with EU_AV_GRANT_KEY_SECRET_ARN$/,
    );
  });
});

describe("the grant key from Secrets Manager, by ARN", () => {
  let secrets: AwsJsonServer;
  let secretEnv: Record<string, string | undefined>;

  beforeAll(async () => {
    secrets = await startAwsJsonServer("secretsmanager", "application/x-amz-json-1.1");
    secretEnv = {
      ...env,
      ...TEST_CREDENTIALS,
      EU_AV_GRANT_KEY: undefined,
      EU_AV_GRANT_KEY_SECRET_ARN: SECRET_ARN,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    };
  });
  afterAll(async () => secrets?.close());

  it("one signed GetSecretValue on the ARN, at start", async () => {
    secrets.answer = {
      status: 200,
      body: { ARN: SECRET_ARN, Name: "eu-av/grant-key", SecretString: grantKeyText },
    };
    const deps = await euAvDepsFromEnv(secretEnv);
    expect(deps.grantKey.kid).toBe("eu-av-lambda");
    expect(secrets.seen.at(-1)).toEqual({
      target: "secretsmanager.GetSecretValue",
      body: { SecretId: SECRET_ARN },
      signatureOk: true,
      securityToken: TEST_CREDENTIALS.AWS_SESSION_TOKEN,
    });
  });

  it("a refusal of Secrets Manager names the variable and the service's error type only", async () => {
    secrets.answer = {
      status: 400,
      body: { __type: "AccessDeniedException", message: "User is not authorized to perform GetSecretValue" },
    };
    await expect(euAvDepsFromEnv(secretEnv)).rejects.toThrow(
      /^EU_AV_GRANT_KEY_SECRET_ARN could not be read from Secrets Manager \(AccessDeniedException\)$/,
    );
  });

  it("a secret that is not a JWK is refused without its text", async () => {
    const secret = `${grantKeyText}trailing`;
    secrets.answer = { status: 200, body: { ARN: SECRET_ARN, SecretString: secret } };
    const error = (await euAvDepsFromEnv(secretEnv).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe("EU_AV_GRANT_KEY_SECRET_ARN does not hold a JSON private JWK");
    expectNoKey(`${error.message} ${error.stack ?? ""}`);
  });

  it("an ARN of another service is refused before any call", async () => {
    const calls = secrets.seen.length;
    await expect(
      euAvDepsFromEnv({ ...secretEnv, EU_AV_GRANT_KEY_SECRET_ARN: "arn:aws:s3:::bucket/key" }),
    ).rejects.toThrow(/^EU_AV_GRANT_KEY_SECRET_ARN is not a secret ARN$/);
    expect(secrets.seen).toHaveLength(calls);
  });
});

const context = lambdaContext("eu-av");

/** An API Gateway HTTP API v2 event, as the HTTP API's $default stage sends it to the function. */
function event(method: string, url: string, body?: { type: string; text: string }): APIGatewayProxyEventV2 {
  const u = new URL(url);
  const now = new Date();
  const query = Object.fromEntries(u.searchParams);
  return {
    version: "2.0",
    routeKey: `${method} ${u.pathname}`,
    rawPath: u.pathname,
    rawQueryString: u.search.slice(1),
    headers: { host: u.host, ...(body !== undefined ? { "content-type": body.type } : {}) },
    ...(u.search !== "" ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: u.host,
      domainPrefix: u.host.split(".")[0] ?? "",
      http: { method, path: u.pathname, protocol: "HTTP/1.1", sourceIp: "192.0.2.1", userAgent: "test" },
      requestId: randomUUID(),
      routeKey: `${method} ${u.pathname}`,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body !== undefined ? { body: Buffer.from(body.text).toString("base64") } : {}),
    isBase64Encoded: body !== undefined,
  };
}

async function invoke(e: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  return (await handler(e, context)) as APIGatewayProxyStructuredResultV2;
}

/** The holder's fetch to response_uri, delivered to the handler as the HTTP API would. */
const viaHandler: typeof fetch = async (input, init) => {
  const url = String(input);
  const text = String(init?.body ?? "");
  const headers = new Headers(init?.headers);
  const result = await invoke(
    event(init?.method ?? "GET", url, { type: headers.get("content-type") ?? "", text }),
  );
  return new Response(result.body ?? "", {
    status: result.statusCode ?? 200,
    headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
  });
};

describe("the exported handler, with API Gateway v2 events", () => {
  const saved = { ...process.env };
  const logs: string[] = [];

  beforeAll(() => {
    delete process.env.BLINDGATE_QUIET;
  });
  afterAll(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  function captureLogs() {
    const capture = (...args: unknown[]) => void logs.push(args.map(String).join(" "));
    vi.spyOn(console, "info").mockImplementation(capture);
    vi.spyOn(console, "error").mockImplementation(capture);
  }

  it("cold start with a bad grant key: a generic 500, the log names the variable, never the key", async () => {
    captureLogs();
    Object.assign(process.env, env, { EU_AV_GRANT_KEY: JSON.stringify({ ...grantJwk, x: "AAAA" }) });
    const res = await invoke(event("GET", `${PUBLIC_URL}/jwks.json`));
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body ?? "")).toEqual({
      error: { code: "ERR_INTERNAL", message: "internal error" },
    });
    expect(logs.length).toBeGreaterThan(0); // the log was captured: what it lacks below means something
    const line = JSON.parse(logs.at(-1) ?? "{}");
    expect(line).toEqual({
      level: "error",
      message: "eu-av configuration error",
      code: "ERR_CONFIG",
      variable: "EU_AV_GRANT_KEY",
      problem: "EU_AV_GRANT_KEY does not hold a P-256 private JWK (ES256 grant key)",
    });
    expectNoKey(logs.join("\n"));
    expectNoKey(JSON.stringify(res));
  });

  it("with the environment fixed, the next request starts it: one whole presentation gives a grant", async () => {
    captureLogs();
    Object.assign(process.env, env);

    // The wallet opens the verify page.
    const state = randomUUID().replace(/-/g, "");
    const page = await invoke(
      event("GET", `${PUBLIC_URL}/verify?wallet_origin=${encodeURIComponent(WALLET)}&state=${state}`),
    );
    expect(page.statusCode).toBe(200);
    expect(page.headers?.["content-type"]).toBe("text/html; charset=utf-8");
    // Its script opens the session: the links, the QR code.
    const opened = await invoke(
      event("POST", `${PUBLIC_URL}/session`, {
        type: "application/json",
        text: JSON.stringify({ wallet_origin: WALLET, state }),
      }),
    );
    expect(opened.statusCode).toBe(200);
    const session = JSON.parse(opened.body ?? "") as {
      id: string;
      secret: string;
      links: { byReference: string };
    };
    const attr = (name: "id" | "secret") => session[name];
    // the request by reference: a short link, whose request object the app fetches
    const requestUri = session.links.byReference;
    expect(new URL(requestUri).searchParams.get("request_uri")).toBe(`${PUBLIC_URL}/request/${session.id}`);

    // Nothing to collect yet.
    const poll = () =>
      invoke(
        event("POST", `${PUBLIC_URL}/result`, {
          type: "application/json",
          text: JSON.stringify({ id: attr("id"), secret: attr("secret") }),
        }),
      );
    expect((await poll()).statusCode).toBe(202);

    // The holder's app on another device answers by direct_post.
    const device = await createDeviceKey();
    const mdoc = await issueAttestation(signer, {
      device,
      claims: {
        age_over_13: true,
        age_over_15: true,
        age_over_16: true,
        age_over_18: true,
        age_over_21: false,
      },
    });
    const answer = await answerRequest(requestUri, mdoc, device, { fetch: viaHandler });
    expect(answer).toMatchObject({ status: 200, body: {} });

    // The page collects the grant, once.
    const done = await poll();
    expect(done.statusCode).toBe(200);
    const result = JSON.parse(done.body ?? "") as {
      walletOrigin: string;
      message: { state: string; grant: string };
    };
    expect(result.walletOrigin).toBe(WALLET);
    expect(result.message.state).toBe(state);
    const jwks = JSON.parse((await invoke(event("GET", `${PUBLIC_URL}/jwks.json`))).body ?? "");
    const { payload } = await jwtVerify(result.message.grant, createLocalJWKSet(jwks), {
      issuer: "eu-av",
      audience: "gateway.example",
    });
    expect(payload.age_over).toBe(18);
    expect(decodeJwt(result.message.grant)).toEqual(payload);
    const again = await poll();
    expect(again.statusCode).toBe(409);
    expect(again.headers?.["x-error-code"]).toBe("ERR_SESSION_USED");

    // The same answer replayed: refused, the nonce and state are single use (in DynamoDB, not in memory).
    const replay = await viaHandler(`${PUBLIC_URL}/response`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: answer.form.toString(),
    });
    expect(replay.status).toBe(409);

    expect(logs.length).toBeGreaterThan(0);
    expectNoKey(logs.join("\n"));
    expectNoKey(JSON.stringify(result));
  });
});
