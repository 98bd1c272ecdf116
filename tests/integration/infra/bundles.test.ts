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
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  beginIssuance,
  DIRECTORY_PATH,
  decodeBatchResponse,
  encodeBatchRequest,
  finishIssuance,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  parseDirectory,
  TokenChallenge,
  TokenResponse,
  toBase64Url,
} from "@blindgate/sdk/protocol";
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
 * process, with the environment the stack gives it, and invoked with API Gateway v2 events against Amazon's
 * DynamoDB Local and a KMS-protocol stand-in (through AWS_ENDPOINT_URL_KMS, so the bundle's own KMS client is
 * used). The flow: rotate-keys creates the keys, the directory lists them, issue signs a batch for a grant,
 * check accepts a token once. This proves the bundles are complete.
 */

type FunctionId = (typeof FUNCTION_IDS)[number];

const ISSUER = "gateway.example";
let workDir: string;
let bundles: Record<FunctionId, string>;
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
    Resources: Record<string, { Properties?: { Code?: { S3Key?: string } } }>;
  };
  bundles = {} as Record<FunctionId, string>;
  for (const [fnId, gf] of Object.entries(stack.functions) as [
    FunctionId,
    { fn: { node: { defaultChild: unknown } } },
  ][]) {
    const logicalId = stack.getLogicalId(gf.fn.node.defaultChild as CfnFunction as unknown as CfnElement);
    const key = template.Resources[logicalId]?.Properties?.Code?.S3Key;
    if (key === undefined) throw new Error(`no asset for ${fnId}`);
    const file = join(outdir, `asset.${key.replace(/\.zip$/, "")}`, "index.mjs");
    if (!existsSync(file)) throw new Error(`no bundle at ${file}`);
    bundles[fnId] = file;
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
function invoke(fn: FunctionId, event: unknown): Promise<HttpResult & Record<string, unknown>> {
  const driver = `
    let input = ""; for await (const chunk of process.stdin) input += chunk;
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundles[fn]).href)});
    const context = { awsRequestId: "test", functionName: ${JSON.stringify(fn)}, getRemainingTimeInMillis: () => 10000 };
    const result = await handler(JSON.parse(input), context);
    process.stdout.write(JSON.stringify(result ?? null));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", driver], {
      env,
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
  it.each(FUNCTION_IDS)(
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
    // A current and a next key for 13 and 18, of each kind (token keys, and credit keys for credentials).
    const created = rotated.created as { kind: string; threshold: number }[];
    expect(
      created
        .filter((k) => k.kind === "token")
        .map((k) => k.threshold)
        .sort(),
    ).toEqual([13, 13, 18, 18]);
    expect(kms.operations).toContain("GenerateDataKey");

    const dir = await invoke("directory", httpEvent({ method: "GET", path: DIRECTORY_PATH }));
    expect(dir.statusCode).toBe(200);
    expect(dir.headers?.["access-control-allow-origin"]).toBe("https://wallet.example");
    const directory = parseDirectory(JSON.parse(bodyOf(dir).toString()));
    expect(directory.tokenKeys).toHaveLength(4);
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
