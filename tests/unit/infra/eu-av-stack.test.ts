import "../../support/reflect-metadata.js";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { exportGrantPrivateJwk, generateGrantKey } from "@blindgate/sdk/provider";
import { App, type CfnElement, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as esbuild from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../infra/config.js";
import { esbuildOptions, MAX_BUNDLE_KIB, REPO_ROOT } from "../../../infra/constructs/bundling.js";
import {
  EU_AV_ENTRY,
  EU_AV_FIREWALL_DEFAULTS,
  EU_AV_ROUTES,
  EuAvFirewall,
  EuAvProvider,
  TRUSTED_IACAS_FILE,
} from "../../../infra/constructs/eu-av-provider.js";
import type { EuAvStackConfigInput } from "../../../infra/eu-av-config.js";
import { parseEuAvStackConfig } from "../../../infra/eu-av-config.js";
import { addEuAvStack, type EuAvStack } from "../../../infra/stacks/eu-av-stack.js";
import { GRANT_KEY_SECRET_ENV } from "../../../providers/eu-av/grant-key-source.js";
import { SESSIONS_TABLE } from "../../../providers/eu-av/table.js";
import { createDocumentSigner, createTestIaca } from "../../support/eu-av-holder.js";

/*
 * Synth-level assertions on the EU AV provider's stack (infra/stacks/eu-av-stack.ts), what matters for security
 * and for the function's contract: Node 22 arm64 ESM bundle built with the gateway's esbuild options, the grant key
 * present only as a secret ARN, the sessions table as table.ts defines it (TTL, on demand, PITR, encryption), a
 * role holding exactly the table actions the store sends and GetSecretValue on that one secret, the HTTP API's
 * routes those of the handler. The bundle is run on Node: it reads the IACA file shipped in its package.
 */

type Json = Record<string, unknown>;
const run = promisify(execFile);

/*
 * The bundle built here with bundling.ts's esbuildOptions (what the bench and the gateway's functions use), before
 * the tests are collected so its size is in a test's name. It is over the gateway functions' 250 KiB: about 440 KiB
 * are zod v4 whole, because @openid4vc imports zod's default export (the namespace object, locales and JSON schema
 * included), which no bundler can tree-shake. EU_AV_BUDGET_KIB catches growth beyond that.
 */
const EU_AV_BUDGET_KIB = 700;
const REFERENCE = await (async () => {
  const { outputFiles } = await esbuild.build({
    ...esbuildOptions(EU_AV_ENTRY),
    outfile: join(REPO_ROOT, "cdk.out", "eu-av-reference", "index.mjs"),
    write: false,
  });
  const file = outputFiles.find((f) => f.path.endsWith("index.mjs"));
  if (file === undefined) throw new Error("esbuild wrote no index.mjs");
  return file;
})();
const BUNDLE_KIB = REFERENCE.contents.byteLength / 1024;

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:eu-av/grant-key-AbCdEf";
let workDir: string;
let iacaFile: string;
let stack: EuAvStack;
let template: Template;
let outdir: string;

function config(over: Partial<EuAvStackConfigInput> = {}): Partial<EuAvStackConfigInput> {
  return {
    stage: "prod-eu",
    gatewayIssuer: "age.example.org",
    walletOrigins: ["https://wallet.age.example.org"],
    trustedIacasFile: iacaFile,
    grantKeySecretArn: SECRET_ARN,
    thresholds: [16, 18],
    ...over,
  };
}

beforeAll(async () => {
  mkdirSync(join(REPO_ROOT, "cdk.out"), { recursive: true });
  workDir = mkdtempSync(join(REPO_ROOT, "cdk.out", "test-eu-av-"));
  iacaFile = join(workDir, "iacas.pem");
  writeFileSync(
    iacaFile,
    `${(await createTestIaca()).pem}\n${(await createTestIaca({ name: "C=DE, CN=IACA 2" })).pem}`,
  );
  const app = new App({ outdir: mkdtempSync(join(workDir, "assembly-")) });
  stack = addEuAvStack(app, { overrides: config() }) as EuAvStack;
  template = Template.fromStack(stack);
  outdir = app.outdir;
}, 240_000);

afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

const id = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

function functionProps(): Json {
  return (template.toJSON().Resources[id(stack.provider.fn)] as { Properties: Json }).Properties;
}

function bundleDir(): string {
  const code = functionProps().Code as { S3Key: string };
  return join(outdir, `asset.${code.S3Key.replace(/\.zip$/, "")}`);
}

describe("EU AV provider stack", () => {
  it("is named for its stage and made only when configured", () => {
    expect(stack.stackName).toBe("blindgate-eu-av-prod-eu");
    expect(addEuAvStack(new App({ outdir: mkdtempSync(join(workDir, "none-")) }))).toBeUndefined();
  });

  it("function: Node 22 on arm64, ESM handler, 10 s, its environment holds the secret's ARN and never a key", () => {
    const props = functionProps();
    expect(props).toMatchObject({
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      MemorySize: 512,
      Timeout: 10,
      LoggingConfig: { LogFormat: "Text" },
    });
    const env = (props.Environment as { Variables: Json }).Variables;
    expect(env).toMatchObject({
      EU_AV_PROVIDER_ID: "eu-av",
      EU_AV_GATEWAY_ISSUER: "age.example.org",
      EU_AV_WALLET_ORIGINS: "https://wallet.age.example.org",
      EU_AV_TRUSTED_IACAS_FILE: TRUSTED_IACAS_FILE,
      EU_AV_THRESHOLDS: "16,18",
      [GRANT_KEY_SECRET_ENV]: SECRET_ARN,
      [SESSIONS_TABLE.env]: { Ref: id(stack.provider.table) },
    });
    expect(JSON.stringify(env.EU_AV_PUBLIC_URL)).toContain(id(stack.provider.api)); // the API's own endpoint
    expect(Object.keys(env).sort()).toEqual(
      [
        "EU_AV_PROVIDER_ID",
        "EU_AV_GATEWAY_ISSUER",
        "EU_AV_WALLET_ORIGINS",
        "EU_AV_PUBLIC_URL",
        "EU_AV_TRUSTED_IACAS_FILE",
        "EU_AV_THRESHOLDS",
        GRANT_KEY_SECRET_ENV,
        SESSIONS_TABLE.env,
      ].sort(),
    );
    // No grant key anywhere in the template: no inline JWK variable, no private scalar.
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toContain('"EU_AV_GRANT_KEY"');
    expect(text).not.toMatch(/"d"\s*:/);
    expect(text).not.toContain("BEGIN PRIVATE KEY");
  });

  it("sessions table: key pk, TTL on ttl, on demand, point-in-time recovery, encrypted; prod retains it", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: [{ AttributeName: SESSIONS_TABLE.partitionKey, KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: SESSIONS_TABLE.partitionKey, AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
      TimeToLiveSpecification: { AttributeName: SESSIONS_TABLE.ttlAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(template.toJSON().Resources[id(stack.provider.table)]).toMatchObject({
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
    });
  });

  it("IAM: the role holds its log group, exactly the store's table actions, and GetSecretValue on one secret", () => {
    const roleId = id(stack.provider.role);
    const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((p) =>
      ((p as Json).Properties as { Roles: { Ref: string }[] }).Roles.some((r) => r.Ref === roleId),
    );
    expect(policies).toHaveLength(1);
    const statements = (
      (policies[0] as Json).Properties as { PolicyDocument: { Statement: Json[] } }
    ).PolicyDocument.Statement.map((s) => ({
      ...s,
      Action: [s.Action].flat().map(String).sort(),
    }));
    expect(statements).toEqual([
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: { "Fn::GetAtt": [id(stack.provider.logGroup), "Arn"] },
      },
      {
        Sid: "Sessions",
        Effect: "Allow",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        Resource: { "Fn::GetAtt": [id(stack.provider.table), "Arn"] },
      },
      {
        Sid: "ReadGrantKey",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: SECRET_ARN,
      },
    ]);
    // No managed policy either (not even AWSLambdaBasicExecutionRole: the log group is the function's own).
    template.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: "lambda.amazonaws.com" } }] },
    });
    const role = template.toJSON().Resources[roleId] as { Properties: Json };
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    // The store's code sends these and no other action (sessions.ts, table.ts).
    const source = readFileSync(join(REPO_ROOT, "providers", "eu-av", "sessions.ts"), "utf8");
    const sent = [...source.matchAll(/new (\w+)Command\(/g)].map((m) => `dynamodb:${m[1]}`);
    expect([...new Set(sent)].sort()).toEqual([...SESSIONS_TABLE.actions].sort());
  });

  it("HTTP API: the handler's routes, all to the function, a throttled $default stage", () => {
    const routes = Object.values(template.findResources("AWS::ApiGatewayV2::Route")).map(
      (r) => ((r as Json).Properties as { RouteKey: string }).RouteKey,
    );
    expect(routes.sort()).toEqual(EU_AV_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    template.resourceCountIs("AWS::ApiGatewayV2::Integration", 1);
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it("per-address WAF rules (CLOUDFRONT scope): every route, POST /session and the answers, 429, nothing sampled", () => {
    const app = new App({ outdir: mkdtempSync(join(workDir, "waf-")) });
    const edge = new Stack(app, "Edge", { env: { account: "123456789012", region: "us-east-1" } });
    new EuAvFirewall(edge, "Firewall", { name: "blindgate-eu-av" });
    const waf = Template.fromStack(edge);
    const rate = (name: string, limit: number, scopeDown?: unknown) => ({
      Name: name,
      Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
      VisibilityConfig: { CloudWatchMetricsEnabled: true, MetricName: name, SampledRequestsEnabled: false },
      Statement: {
        RateBasedStatement: {
          Limit: limit,
          EvaluationWindowSec: 300,
          AggregateKeyType: "IP",
          ...(scopeDown !== undefined ? { ScopeDownStatement: scopeDown } : {}),
        },
      },
    });
    const path = (p: string) => ({
      ByteMatchStatement: {
        FieldToMatch: { UriPath: {} },
        PositionalConstraint: "EXACTLY",
        SearchString: p,
        TextTransformations: [{ Priority: 0, Type: "NONE" }],
      },
    });
    const acl = Object.values(waf.findResources("AWS::WAFv2::WebACL"))[0] as { Properties: Json };
    expect(acl.Properties.Scope).toBe("CLOUDFRONT");
    expect(acl.Properties.DefaultAction).toEqual({ Allow: {} });
    const rules = (acl.Properties.Rules as Json[]).map(({ Priority: _p, ...rule }) => rule);
    expect(rules).toEqual([
      rate("PerIp", EU_AV_FIREWALL_DEFAULTS.perIp),
      rate("SessionPerIp", EU_AV_FIREWALL_DEFAULTS.sessionPerIp, path("/session")),
      rate("AnswerPerIp", EU_AV_FIREWALL_DEFAULTS.answerPerIp, {
        OrStatement: { Statements: [path("/response"), path("/dc-api")] },
      }),
    ]);
    waf.resourceCountIs("AWS::WAFv2::LoggingConfiguration", 0);
  });

  it("with the edge: CloudFront carries the web ACL, and every route requires the edge's header", () => {
    const app = new App({
      outdir: mkdtempSync(join(workDir, "edge-")),
      context: { "aws:cdk:bundling-stacks": [] },
    });
    const stack = new Stack(app, "Provider", { env: { account: "123456789012", region: "eu-west-3" } });
    const aclArn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/blindgate-eu-av/abcd";
    const provider = new EuAvProvider(stack, "EuAv", {
      config: parseEuAvStackConfig({ stage: "dev", ...config() }, REPO_ROOT),
      edge: { webAclArn: aclArn },
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties("AWS::CloudFront::Distribution", { DistributionConfig: { WebACLId: aclArn } });
    const routes = Object.values(t.findResources("AWS::ApiGatewayV2::Route")).map(
      (r) => (r as Json).Properties as Json,
    );
    expect(routes).toHaveLength(EU_AV_ROUTES.length);
    for (const route of routes) expect(route.AuthorizationType).toBe("CUSTOM");
    expect(provider.publicUrl).toBe(provider.edge?.url);
    // the per-address limit is the WAF's there (the function sees CloudFront's addresses)
    t.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: { EU_AV_SESSIONS_PER_MINUTE: "10000" } },
    });
  });

  it("a bad configuration stops the synth naming the field", () => {
    const synth = (over: Partial<EuAvStackConfigInput>) => () =>
      addEuAvStack(new App({ outdir: mkdtempSync(join(workDir, "bad-")) }), { overrides: config(over) });
    expect(
      synth({ grantKeySecretArn: "arn:aws:secretsmanager:eu-west-3:123456789012:secret:grantkey" }),
    ).toThrow(/grantKeySecretArn: a complete Secrets Manager secret ARN/);
    expect(synth({ walletOrigins: ["https://wallet.example/path"] })).toThrow(/walletOrigins/);
    expect(synth({ trustedIacasFile: join(workDir, "missing.pem") })).toThrow(ConfigError);
    expect(synth({ thresholds: [0] })).toThrow(/thresholds/);
  });

  it("a document signer in place of an IACA stops the synth", async () => {
    const signerFile = join(workDir, "signer.pem");
    writeFileSync(signerFile, (await createDocumentSigner(await createTestIaca())).pem);
    expect(() =>
      addEuAvStack(new App({ outdir: mkdtempSync(join(workDir, "bad-")) }), {
        overrides: config({ trustedIacasFile: signerFile }),
      }),
    ).toThrow(/trustedIacasFile: a trusted IACA is not a CA certificate/);
  });
});

describe("EU AV provider bundle", () => {
  it("ships the IACA bundle, no source map, and runs on Node: /jwks.json answers with the grant key's public JWK", async () => {
    const dir = bundleDir();
    expect(readFileSync(join(dir, TRUSTED_IACAS_FILE), "utf8")).toBe(readFileSync(iacaFile, "utf8"));
    expect(() => statSync(join(dir, "index.mjs.map"))).toThrow();
    const jwk = await exportGrantPrivateJwk(await generateGrantKey({ kid: "bundle-test" }));
    const event = {
      version: "2.0",
      rawPath: "/jwks.json",
      headers: {},
      requestContext: { http: { method: "GET" } },
      isBase64Encoded: false,
    };
    const script = `const m = await import(${JSON.stringify(join(dir, "index.mjs"))});
const r = await m.handler(${JSON.stringify(event)}, {});
process.stdout.write(JSON.stringify(r));`;
    const { stdout } = await run(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        BLINDGATE_QUIET: "1",
        LAMBDA_TASK_ROOT: dir,
        AWS_REGION: "eu-west-3",
        EU_AV_PROVIDER_ID: "eu-av",
        EU_AV_GATEWAY_ISSUER: "age.example.org",
        EU_AV_WALLET_ORIGINS: "https://wallet.age.example.org",
        EU_AV_PUBLIC_URL: "https://eu-av.example.org",
        EU_AV_TRUSTED_IACAS_FILE: TRUSTED_IACAS_FILE,
        EU_AV_GRANT_KEY: JSON.stringify(jwk), // the bundle test only: the deployment sets the secret's ARN
        EU_AV_SESSIONS_TABLE: "sessions",
      },
    });
    const result = JSON.parse(stdout) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(200);
    const jwks = JSON.parse(result.body) as { keys: Json[] };
    expect(jwks.keys).toEqual([expect.objectContaining({ kid: "bundle-test", x: jwk.x, y: jwk.y })]);
    expect(result.body).not.toContain(jwk.d as string);
  }, 60_000);

  it(`is the gateway functions' esbuild build of lambda.ts: ${BUNDLE_KIB.toFixed(1)} KiB (their ceiling: ${MAX_BUNDLE_KIB} KiB; this one's budget: ${EU_AV_BUDGET_KIB} KiB)`, () => {
    const deployed = readFileSync(join(bundleDir(), "index.mjs"));
    // The deployed file differs from bundling.ts's build by its source map comment only (name of the map file).
    const strip = (b: Uint8Array) =>
      Buffer.from(b)
        .toString("utf8")
        .replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "");
    expect(strip(deployed)).toBe(strip(REFERENCE.contents));
    expect(BUNDLE_KIB).toBeLessThan(EU_AV_BUDGET_KIB);
  });
});
