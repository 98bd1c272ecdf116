import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CALL_LIMITS } from "@blindgate/aws-json";
import {
  beginCredential,
  beginIssuance,
  beginRefill,
  creditBalance,
  creditParams,
  DIRECTORY_PATH,
  decodeBatchResponse,
  encodeBatchRequest,
  finishCredential,
  finishIssuance,
  finishRefill,
  fromBase64Url,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  keyLogPageSchema,
  parseDirectory,
  TokenChallenge,
  TokenResponse,
  toBase64Url,
} from "@blindgate/sdk/protocol/internal";
import { exportGrantJwks, generateGrantKey, signGrant } from "@blindgate/sdk/provider";
import { App, type CfnElement } from "aws-cdk-lib";
import type { CfnFunction } from "aws-cdk-lib/aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpEvent } from "../../../dev/lambda-http.js";
import { addProvider, addSite } from "../../../functions/admin/operations.js";
import type { HttpResult } from "../../../functions/http/index.js";
import { dynamoClient } from "../../../functions/runtime.js";
import { createTables, dynamoStores, localTableNames } from "../../../functions/stores/index.js";
import { TABLE_IDS, TABLES } from "../../../functions/stores/schema.js";
import type { Stores } from "../../../functions/stores/types.js";
import {
  FUNCTION_IDS,
  MAX_BUNDLE_KIB,
  REPO_ROOT,
  SOURCEMAP_DIR,
} from "../../../infra/constructs/bundling.js";
import { addGatewayStack } from "../../../infra/stacks/gateway-app.js";
import { type DynamoServer, startDynamoDbLocal } from "../../support/dynamo.js";
import { type FakeKms, startFakeKms } from "../../support/kms.js";

/*
 * The Lambda bundles the CDK app synthesizes (cdk.out/asset.*), not the sources: each is loaded in a fresh Node
 * process, with the environment the stack gives it and its own Lambda timeout as deadline, and invoked with API
 * Gateway v2 events against Amazon's DynamoDB Local and a KMS-protocol stand-in (through AWS_ENDPOINT_URL_KMS), with
 * the AWS client the functions import (@blindgate/aws-json; no module is replaced at bundling). Every function's
 * bundle runs: rotate-keys, directory, issue with a grant, check once (and its replay), key log, providers; then
 * credential with a grant, refill with its credits, report. Last, the check bundle against a store that never
 * answers: 503 ERR_UNAVAILABLE once its bounded attempts are given up.
 */

type FunctionId = (typeof FUNCTION_IDS)[number];

const ISSUER = "gateway.example";
let workDir: string;
/** The gateway's functions, and the wallet routes' preflight function. */
type BundleId = FunctionId | "preflight";
let bundles: Record<BundleId, string>;
/** Each function's Lambda timeout (ms) from the template: the deadline its bundle sees when invoked here. */
let timeouts: Record<BundleId, number>;
let db: DynamoServer;
let kms: FakeKms;
let stores: Stores;
let env: Record<string, string>;

beforeAll(async () => {
  mkdirSync(join(REPO_ROOT, "cdk.out"), { recursive: true });
  workDir = mkdtempSync(join(REPO_ROOT, "cdk.out", "test-bundles-"));
  const walletDir = join(workDir, "wallet");
  mkdirSync(walletDir);
  writeFileSync(join(walletDir, "index.html"), "<!doctype html><title>wallet</title>\n");
  const outdir = join(workDir, "assembly");
  const app = new App({ context: { stage: "dev" }, outdir });
  const stack = addGatewayStack(app, { walletDir });
  app.synth();
  const template = JSON.parse(readFileSync(join(outdir, `${stack.stackName}.template.json`), "utf8")) as {
    Resources: Record<string, { Properties?: { Code?: { S3Key?: string }; Timeout?: number } }>;
  };
  bundles = {} as Record<BundleId, string>;
  timeouts = {} as Record<BundleId, number>;
  const functions: [BundleId, { node: { defaultChild: unknown } } | undefined][] = [
    ...(Object.entries(stack.functions) as [FunctionId, { fn: { node: { defaultChild: unknown } } }][]).map(
      ([fnId, gf]): [BundleId, { node: { defaultChild: unknown } }] => [fnId, gf.fn],
    ),
    ["preflight", stack.preflight?.fn],
  ];
  for (const [fnId, fn] of functions) {
    if (fn === undefined) throw new Error(`no ${fnId} function in the stack`);
    const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnFunction as unknown as CfnElement);
    const key = template.Resources[logicalId]?.Properties?.Code?.S3Key;
    if (key === undefined) throw new Error(`no asset for ${fnId}`);
    const file = join(outdir, `asset.${key.replace(/\.zip$/, "")}`, "index.mjs");
    if (!existsSync(file)) throw new Error(`no bundle at ${file}`);
    bundles[fnId] = file;
    timeouts[fnId] = (template.Resources[logicalId]?.Properties?.Timeout ?? 3) * 1000;
  }

  db = await startDynamoDbLocal();
  kms = await startFakeKms();
  const tables = localTableNames("bundles");
  const client = dynamoClient(db.endpoint);
  await createTables(client, tables);
  stores = dynamoStores(client, tables);
  env = {
    PATH: process.env.PATH ?? "",
    AWS_REGION: "eu-west-3",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_ENDPOINT_URL_KMS: kms.endpoint,
    BLINDGATE_QUIET: "1",
    BLINDGATE_ISSUER_NAME: ISSUER,
    BLINDGATE_ISSUER_URL: `https://${ISSUER}`,
    BLINDGATE_KMS_KEY_ID: "arn:aws:kms:eu-west-3:111111111111:key/test",
    BLINDGATE_THRESHOLDS: "13,18",
    BLINDGATE_BANDS: "13-18",
    BLINDGATE_KEY_EPOCH_HOURS: "168",
    BLINDGATE_TOKEN_VALIDITY_HOURS: "168",
    BLINDGATE_DYNAMODB_ENDPOINT: db.endpoint,
    BLINDGATE_WALLET_ORIGIN: "https://wallet.example",
    // Every table's variable, as the stack sets them (the functions' configuration requires all).
    ...Object.fromEntries(TABLE_IDS.map((t) => [TABLES[t].env, tables[t]])),
  };
}, 300_000);

afterAll(async () => {
  await kms?.stop();
  await db?.stop();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

/** Invoke a bundle in a fresh Node process (a cold start), the event on stdin, the result on stdout. */
function invoke(
  fn: BundleId,
  event: unknown,
  extraEnv: Record<string, string> = {},
): Promise<HttpResult & Record<string, unknown>> {
  const driver = `
    let input = ""; for await (const chunk of process.stdin) input += chunk;
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundles[fn]).href)});
    const deadline = Date.now() + ${timeouts[fn]};
    const context = { awsRequestId: "test", functionName: ${JSON.stringify(fn)}, getRemainingTimeInMillis: () => deadline - Date.now() };
    const result = await handler(JSON.parse(input), context);
    process.stdout.write(JSON.stringify(result ?? null));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", driver], {
      env: { ...env, ...extraEnv },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`${fn} bundle exited ${code}: ${err.slice(-2000)}`));
      resolve(JSON.parse(out) as HttpResult & Record<string, unknown>);
    });
    child.stdin.end(JSON.stringify(event));
  });
}

const bodyOf = (r: HttpResult) => Buffer.from(r.body ?? "", r.isBase64Encoded ? "base64" : "utf8");

describe("the synthesized Lambda packages", () => {
  it.each([...FUNCTION_IDS, "preflight" as const])(
    "%s: one minified file under the size target, its source map kept outside the package",
    (fn) => {
      const file = bundles[fn];
      expect(readdirSync(join(file, ".."))).toEqual(["index.mjs"]);
      expect(statSync(file).size).toBeLessThan(MAX_BUNDLE_KIB * 1024);
      const code = readFileSync(file);
      expect(code.toString("utf8")).not.toContain("sourceMappingURL");
      const hash = createHash("sha256").update(code).digest("hex");
      const map = JSON.parse(readFileSync(join(SOURCEMAP_DIR, fn, `${hash}.map`), "utf8")) as {
        sources: string[];
        sourcesContent?: unknown;
      };
      expect(map.sources.some((s) => s.includes("functions/handlers/"))).toBe(true);
      expect(map.sourcesContent).toBeUndefined();
    },
  );
});

describe("the synthesized Lambda bundles, on DynamoDB Local", () => {
  it("rotate-keys, directory, issue with a grant, check: the whole flow through the bundles", async () => {
    const rotated = await invoke("rotateKeys", { source: "aws.events", "detail-type": "Scheduled Event" });
    // A current and a next key for 13, 18 and the band 13–17, of each kind (token keys, and credit keys).
    const created = rotated.created as { kind: string; threshold: number; ageBelow?: number }[];
    expect(
      created
        .filter((k) => k.kind === "token")
        .map((k) => `${k.threshold}${k.ageBelow === undefined ? "" : `-${k.ageBelow}`}`)
        .sort(),
    ).toEqual(["13", "13", "13-18", "13-18", "18", "18"]);
    expect(kms.operations).toContain("GenerateDataKey");

    const dir = await invoke("directory", httpEvent({ method: "GET", path: DIRECTORY_PATH }));
    expect(dir.statusCode).toBe(200);
    expect(dir.headers?.["access-control-allow-origin"]).toBe("https://wallet.example");
    const directory = parseDirectory(JSON.parse(bodyOf(dir).toString()));
    expect(directory.tokenKeys).toHaveLength(6);
    expect(directory.tokenKeys.filter((k) => k.ageBelow === 18)).toHaveLength(2);
    const now = Math.floor(Date.now() / 1000);
    const key18 = directory.tokenKeys.find((k) => k.ageOver === 18 && (k.notBefore ?? 0) <= now);
    expect(key18).toBeDefined();

    const grantKey = await generateGrantKey({ kid: "p1" });
    await addProvider(
      stores,
      {
        id: "prov",
        name: "Provider",
        verifyUrl: "https://verify.example/",
        jwks: await exportGrantJwks(grantKey),
      },
      now,
    );
    const { apiKey } = await addSite(stores, { name: "Site" }, now);
    const grant = await signGrant(grantKey, {
      issuer: ISSUER,
      providerId: "prov",
      ageOver: 18,
      maxTokens: 2,
    });
    const challenge = TokenChallenge.crossOrigin(ISSUER).encode();
    const begun = await Promise.all(
      [0, 1].map(() => beginIssuance({ challenge, tokenKey: key18!.tokenKey })),
    );
    const issued = await invoke(
      "issue",
      httpEvent({
        method: "POST",
        path: "/token-request",
        headers: { "content-type": GENERIC_BATCH_REQUEST_MEDIA_TYPE, authorization: `Bearer ${grant}` },
        body: encodeBatchRequest(begun.map((b) => ({ tokenType: 2, request: b.request.encode() }))),
      }),
    );
    expect(issued.statusCode).toBe(200);
    expect(kms.operations).toContain("Decrypt");
    const items = decodeBatchResponse(new Uint8Array(bodyOf(issued)));
    const token = await finishIssuance(begun[0]!.pending, TokenResponse.decode(items[0]!.response));

    const checkEvent = httpEvent({
      method: "POST",
      path: "/v1/check",
      headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
      body: new TextEncoder().encode(JSON.stringify({ token: toBase64Url(token.encode()), minAge: 18 })),
    });
    const first = await invoke("check", checkEvent);
    expect(first.statusCode).toBe(200);
    expect(JSON.parse(bodyOf(first).toString())).toMatchObject({ valid: true, ageOver: 18, issuer: ISSUER });
    const second = await invoke("check", checkEvent);
    expect(second.statusCode).toBe(409);

    const log = await invoke("keyLog", httpEvent({ method: "GET", path: "/v1/key-log" }));
    expect(
      (JSON.parse(bodyOf(log).toString()) as { entries: unknown[] }).entries.length,
    ).toBeGreaterThanOrEqual(4);
    const providers = await invoke("providers", httpEvent({ method: "GET", path: "/v1/providers" }));
    expect(JSON.parse(bodyOf(providers).toString())).toEqual({
      providers: [{ id: "prov", name: "Provider", verifyUrl: "https://verify.example/" }],
    });
  });
});

describe("the synthesized Lambda bundles, on DynamoDB Local: credits and the report", () => {
  it("credential with a grant, refill with its credits, report: each through its own bundle", async () => {
    // Keys as the schedule makes them (none new if the flow above already rotated).
    await invoke("rotateKeys", { source: "aws.events", "detail-type": "Scheduled Event" });
    const dir = parseDirectory(
      JSON.parse(
        bodyOf(await invoke("directory", httpEvent({ method: "GET", path: DIRECTORY_PATH }))).toString(),
      ),
    );
    const now = Math.floor(Date.now() / 1000);
    const key18 = dir.tokenKeys.find((k) => k.ageOver === 18 && (k.notBefore ?? 0) <= now);
    expect(key18).toBeDefined();
    const grantKey = await generateGrantKey({ kid: "p2" });
    await addProvider(
      stores,
      {
        id: "credits",
        name: "Credits",
        verifyUrl: "https://verify.example/",
        jwks: await exportGrantJwks(grantKey),
      },
      now,
    );
    const grant = await signGrant(grantKey, {
      issuer: ISSUER,
      providerId: "credits",
      ageOver: 18,
      maxTokens: 100,
    });
    const params = creditParams(ISSUER);
    const post = (fn: FunctionId, path: string, body: unknown, auth?: string) =>
      invoke(
        fn,
        httpEvent({
          method: "POST",
          path,
          headers: {
            "content-type": "application/json",
            ...(auth ? { authorization: `Bearer ${auth}` } : {}),
          },
          body: new TextEncoder().encode(JSON.stringify(body)),
        }),
      );

    const { request, state } = beginCredential(params);
    const credential = await post("credential", "/v1/credential", { credit: toBase64Url(request) }, grant);
    expect(credential.statusCode, bodyOf(credential).toString()).toBe(200);
    expect(credential.headers?.["access-control-allow-origin"]).toBe("https://wallet.example");
    const answer = JSON.parse(bodyOf(credential).toString()) as { creditKeyId: string; credit: string };
    let actKey: Uint8Array | undefined;
    for (const k of dir.creditKeys ?? []) {
      const id = createHash("sha256").update(k.actKey).digest("hex");
      if (id === answer.creditKeyId) actKey = k.actKey;
    }
    expect(actKey).toBeDefined();
    const cred = finishCredential(params, actKey!, state, fromBase64Url(answer.credit));
    const credits = creditBalance(params, cred);
    expect(credits).toBeGreaterThan(0);

    const challenge = TokenChallenge.crossOrigin(ISSUER).encode();
    const begun = await beginIssuance({ challenge, tokenKey: key18!.tokenKey });
    const spend = beginRefill(params, cred, 1);
    const refill = await post("refill", "/v1/refill", {
      creditKeyId: answer.creditKeyId,
      proof: toBase64Url(spend.proof),
      tokens: toBase64Url(encodeBatchRequest([{ tokenType: 2, request: begun.request.encode() }])),
    });
    expect(refill.statusCode, bodyOf(refill).toString()).toBe(200);
    const refilled = JSON.parse(bodyOf(refill).toString()) as { refund: string; tokens: string };
    const change = finishRefill(params, actKey!, spend.proof, spend.state, fromBase64Url(refilled.refund));
    expect(creditBalance(params, change)).toBe(credits - 1);
    const [item] = decodeBatchResponse(fromBase64Url(refilled.tokens));
    const token = await finishIssuance(begun.pending, TokenResponse.decode(item!.response));
    expect(token.encode()).toHaveLength(354);

    // A report of a day before the first: refused, once the report key exists (made with KMS) and is announced in
    // the key log.
    const twoDaysAgo = new Date((now - 2 * 86_400) * 1000).toISOString().slice(0, 10);
    const report = await invoke("report", {
      ...httpEvent({ method: "GET", path: "/v1/report" }),
      rawQueryString: `day=${twoDaysAgo}`,
      queryStringParameters: { day: twoDaysAgo },
    });
    expect(report.statusCode).toBe(404);
    expect(JSON.parse(bodyOf(report).toString())).toMatchObject({ error: { code: "ERR_NOT_FOUND" } });
    const log = await invoke("keyLog", httpEvent({ method: "GET", path: "/v1/key-log" }));
    const entries = keyLogPageSchema.parse(JSON.parse(bodyOf(log).toString())).entries;
    expect(entries.filter((e) => e.kind === "report").length).toBeGreaterThan(0);
  });
});

describe("the synthesized preflight bundle", () => {
  it("answers the wallet's preflight: 204, its origin, methods and headers", async () => {
    const answer = await invoke(
      "preflight",
      httpEvent({ method: "OPTIONS", path: "/token-request", headers: { origin: "https://wallet.example" } }),
    );
    expect(answer).toEqual({
      statusCode: 204,
      headers: {
        "access-control-allow-origin": "https://wallet.example",
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": "authorization, content-type",
        "access-control-max-age": "86400",
        vary: "Origin",
      },
    });
  });
});

/** A store that accepts connections and reads requests but never answers: what each connection carried. */
async function startHangingStore() {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const conn = requests.length;
    requests.push("");
    sockets.add(socket);
    socket.on("data", (chunk: Buffer) => {
      requests[conn] += chunk.toString("utf8");
    });
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    /** Each request as "<X-Amz-Target> <body>": the date and signature headers differ between attempts. */
    requests: () =>
      requests.map((raw) => {
        const target = /\r\nx-amz-target: ([^\r]+)/i.exec(raw)?.[1] ?? "";
        return `${target} ${raw.slice(raw.indexOf("\r\n\r\n") + 4)}`;
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("the synthesized check bundle, its store hanging", () => {
  it("answers 503 ERR_UNAVAILABLE after its bounded attempts, each given up by the client", async () => {
    const store = await startHangingStore();
    try {
      const { apiKey } = await addSite(stores, { name: "Hung" }, Math.floor(Date.now() / 1000));
      const event = httpEvent({
        method: "POST",
        path: "/v1/check",
        headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
        body: new TextEncoder().encode(
          JSON.stringify({ token: toBase64Url(new Uint8Array(354)), minAge: 18 }),
        ),
      });
      const answer = await invoke("check", event, { BLINDGATE_DYNAMODB_ENDPOINT: store.endpoint });
      expect(answer.statusCode).toBe(503);
      expect(JSON.parse(bodyOf(answer).toString())).toMatchObject({ error: { code: "ERR_UNAVAILABLE" } });
      expect(answer.headers?.["retry-after"]).toBeDefined();

      // Every call the function made was sent exactly CALL_LIMITS.maxAttempts times: the store answers nothing, so
      // each attempt but the last was given up by the client's own timeout (a call that waited for the store would
      // never be sent again), and the last one's failure is what the route answered.
      const requests = store.requests();
      expect(requests.length).toBeGreaterThan(0);
      const attempts = new Map<string, number>();
      for (const request of requests) {
        expect(request).toMatch(/^DynamoDB_20120810\.\w+ \{/);
        attempts.set(request, (attempts.get(request) ?? 0) + 1);
      }
      expect([...attempts.values()]).toEqual(Array(attempts.size).fill(CALL_LIMITS.maxAttempts));
    } finally {
      await store.close();
    }
  });
});
