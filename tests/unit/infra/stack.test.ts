import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { App, type CfnElement } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, configFromContext, parseStackConfig } from "../../../infra/config.js";
import { REPO_ROOT } from "../../../infra/constructs/bundling.js";
import { addGatewayStack } from "../../../infra/stacks/gateway-app.js";
import type { GatewayStack } from "../../../infra/stacks/gateway-stack.js";
import { walletHeaders } from "../../../wallet/headers.js";

/*
 * Synth-level assertions on the gateway stack: what matters for security and for the functions' contract.
 * Four stacks are synthesized once with the real handlers (bundling runs esbuild) and shared: a dev stage from the
 * defaults, a prod stage configured the way an operator would (context strings, custom domain, route throttle
 * override), and the two halves of a split deployment.
 */

type Json = Record<string, unknown>;

const run = promisify(execFile);

let workDir: string;
let dev: GatewayStack;
let prod: GatewayStack;
let devT: Template;
let prodT: Template;
let issuer: GatewayStack;
let checker: GatewayStack;
let issuerT: Template;
let checkerT: Template;

const CHECK_ROLE = "arn:aws:iam::222222222222:role/blindgate-checker-check";
const ISSUER_KEYS = "arn:aws:dynamodb:eu-west-3:111111111111:table/blindgate-issuer-keys";

beforeAll(() => {
  // Under the repository, in the git-ignored cdk.out: a wallet directory of one page (the real wallet/ is built at
  // synth by its build.ts; that build is not what these tests are about).
  mkdirSync(join(REPO_ROOT, "cdk.out"), { recursive: true });
  workDir = mkdtempSync(join(REPO_ROOT, "cdk.out", "test-infra-"));
  const walletDir = join(workDir, "wallet");
  mkdirSync(walletDir);
  writeFileSync(join(walletDir, "index.html"), "<!doctype html><title>wallet</title>\n");

  // The real handlers (functions/handlers), bundled by esbuild once: the asset cache serves the other stacks.
  dev = addGatewayStack(app({ stage: "dev" }), { walletDir });
  prod = addGatewayStack(
    app({
      stage: "prod",
      thresholds: "16,18",
      keyEpochHours: "24",
      domainName: "age.example.org",
      certificateArn: "arn:aws:acm:eu-west-3:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000000",
      routeThrottle: '{"check":{"rateLimit":7,"burstLimit":9}}',
      alarmEmail: "ops@example.org",
    }),
    { walletDir },
  );
  issuer = addGatewayStack(app({ stage: "issuer", components: "issuer", checkerRoleArns: CHECK_ROLE }), {
    walletDir,
  });
  checker = addGatewayStack(
    app({
      stage: "checker",
      components: "checker",
      issuerName: "age.example.org",
      issuerUrl: "https://age.example.org/",
      issuerKeysTableArn: ISSUER_KEYS,
    }),
    { walletDir },
  );
  devT = Template.fromStack(dev);
  prodT = Template.fromStack(prod);
  issuerT = Template.fromStack(issuer);
  checkerT = Template.fromStack(checker);
}, 240_000);

afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

/** An app with this context whose cloud assembly goes under workDir (removed after the tests). */
function app(context: Json): App {
  return new App({ context, outdir: mkdtempSync(join(workDir, "assembly-")) });
}

const id = (stack: GatewayStack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

const TABLES = ["keys", "keyLog", "providers", "sites", "grants", "spent", "reports"] as const;
type TableName = (typeof TABLES)[number];
const FUNCTIONS = [
  "directory",
  "issue",
  "check",
  "keyLog",
  "providers",
  "credential",
  "refill",
  "rotateKeys",
  "report",
] as const;
type FunctionName = (typeof FUNCTIONS)[number];

/** The least-privilege matrix, written out here independently of infra/constructs/access.ts. */
const EXPECTED_ACCESS: Record<FunctionName, { tables: Partial<Record<TableName, string[]>>; kms: string[] }> =
  {
    // the directory publishes yesterday's coarse issuance rate from the report's counters
    directory: { tables: { keys: ["dynamodb:Scan"], reports: ["dynamodb:GetItem"] }, kms: [] },
    issue: {
      tables: {
        keys: ["dynamodb:Scan"],
        providers: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        // the grant id's conditional put, its record read back on a retry or replay, its delete when a refusal
        // gives the grant back
        grants: ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"],
        reports: ["dynamodb:UpdateItem"],
      },
      kms: ["kms:Decrypt"],
    },
    check: {
      tables: {
        keys: ["dynamodb:Scan"],
        sites: ["dynamodb:GetItem"],
        spent: ["dynamodb:PutItem"],
        reports: ["dynamodb:UpdateItem"],
      },
      kms: [],
    },
    keyLog: { tables: { keyLog: ["dynamodb:Query"] }, kms: [] },
    providers: { tables: { providers: ["dynamodb:Scan"] }, kms: [] },
    credential: {
      tables: {
        keys: ["dynamodb:Scan"],
        providers: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        grants: ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"],
        reports: ["dynamodb:UpdateItem"],
      },
      kms: ["kms:Decrypt"],
    },
    // the credit nullifier's conditional put (and a retried refill's answer read back), in the grants table
    refill: {
      tables: {
        keys: ["dynamodb:Scan"],
        grants: ["dynamodb:GetItem", "dynamodb:PutItem"],
        reports: ["dynamodb:UpdateItem"],
      },
      kms: ["kms:Decrypt"],
    },
    rotateKeys: {
      tables: {
        keys: ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:UpdateItem"],
        keyLog: ["dynamodb:PutItem", "dynamodb:Query"],
        // the rotation lease: a conditional put, given back by a delete
        grants: ["dynamodb:DeleteItem", "dynamodb:PutItem"],
      },
      kms: ["kms:GenerateDataKey"],
    },
    report: {
      tables: {
        reports: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        providers: ["dynamodb:Scan"],
        keyLog: ["dynamodb:PutItem", "dynamodb:Query"],
        // the key lifecycle's lease while the report key is announced
        grants: ["dynamodb:DeleteItem", "dynamodb:PutItem"],
      },
      kms: ["kms:Decrypt", "kms:GenerateDataKey"],
    },
  };

function asList(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).map(String).sort();
}

/** Every statement of the policies attached to a role, as { resource logical id or ARN: sorted actions }. */
function grantsOf(template: Template, roleId: string): Record<string, string[]> {
  const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((p) =>
    ((p as Json).Properties as { Roles: { Ref: string }[] }).Roles.some((r) => r.Ref === roleId),
  );
  const out: Record<string, string[]> = {};
  for (const policy of policies) {
    const doc = ((policy as Json).Properties as { PolicyDocument: { Statement: Json[] } }).PolicyDocument;
    for (const statement of doc.Statement) {
      expect(statement.Effect).toBe("Allow");
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const resource of resources) {
        const key =
          typeof resource === "object" && resource !== null && "Fn::GetAtt" in resource
            ? String((resource as { "Fn::GetAtt": string[] })["Fn::GetAtt"][0])
            : JSON.stringify(resource);
        out[key] = [...(out[key] ?? []), ...asList(statement.Action)].sort();
      }
    }
  }
  return out;
}

describe("synthesis", () => {
  it("leaves no warning and no error annotation on any stack", () => {
    for (const stack of [dev, prod, issuer, checker]) {
      Annotations.fromStack(stack).hasNoWarning("*", Match.anyValue());
      Annotations.fromStack(stack).hasNoError("*", Match.anyValue());
    }
  });
});

describe("least privilege", () => {
  it.each(FUNCTIONS)("the %s role holds exactly its table, key and log actions", (fn) => {
    const gf = dev.fn(fn);
    const roleId = id(dev, gf.role);
    const expected: Record<string, string[]> = {
      [id(dev, gf.logGroup)]: ["logs:CreateLogStream", "logs:PutLogEvents"],
    };
    for (const [table, actions] of Object.entries(EXPECTED_ACCESS[fn].tables)) {
      expected[id(dev, dev.tables.get(table as TableName))] = [...actions].sort();
    }
    if (EXPECTED_ACCESS[fn].kms.length > 0) expected[id(dev, dev.tokenKeyWrap!)] = EXPECTED_ACCESS[fn].kms;
    expect(grantsOf(devT, roleId)).toEqual(expected);
  });

  it("no function role has a managed policy or a wildcard resource", () => {
    for (const fn of FUNCTIONS) {
      const role = devT.toJSON().Resources[id(dev, dev.fn(fn).role)] as Json;
      expect((role.Properties as Json).ManagedPolicyArns).toBeUndefined();
      expect(Object.keys(grantsOf(devT, id(dev, dev.fn(fn).role)))).not.toContain('"*"');
    }
  });

  it("only the functions that open or seal private keys may use the wrapping key", () => {
    const keyId = id(dev, dev.tokenKeyWrap!);
    const holders = FUNCTIONS.filter((fn) => keyId in grantsOf(devT, id(dev, dev.fn(fn).role)));
    expect(holders).toEqual(["issue", "credential", "refill", "rotateKeys", "report"]);
    // Only for data keys of token keys: the vault's encryption context is required.
    for (const fn of holders) {
      devT.hasResourceProperties("AWS::IAM::Policy", {
        Roles: [{ Ref: id(dev, dev.fn(fn).role) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Resource: { "Fn::GetAtt": [keyId, "Arn"] },
              Condition: { StringEquals: { "kms:EncryptionContext:purpose": "blindgate-token-key" } },
            }),
          ]),
        },
      });
    }
    devT.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true, KeySpec: Match.absent() });
  });
});

describe("tables", () => {
  const ttlTables = new Set<TableName>(["keys", "grants", "spent"]);

  it.each(TABLES)("%s: on demand, pk, PITR, encrypted, TTL where items expire", (table) => {
    const resource = devT.toJSON().Resources[id(dev, dev.tables.get(table))] as { Properties: Json };
    const p = resource.Properties;
    expect(p.BillingMode).toBe("PAY_PER_REQUEST");
    expect(p.KeySchema).toEqual(
      table === "keyLog"
        ? [
            { AttributeName: "pk", KeyType: "HASH" },
            { AttributeName: "seq", KeyType: "RANGE" },
          ]
        : [{ AttributeName: "pk", KeyType: "HASH" }],
    );
    expect(p.AttributeDefinitions).toContainEqual({ AttributeName: "pk", AttributeType: "S" });
    if (table === "keyLog") {
      expect(p.AttributeDefinitions).toContainEqual({ AttributeName: "seq", AttributeType: "N" });
    }
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.SSESpecification).toEqual({ SSEEnabled: true });
    expect(p.TimeToLiveSpecification).toEqual(
      ttlTables.has(table) ? { AttributeName: "ttl", Enabled: true } : undefined,
    );
  });

  it("dev tables are destroyed with the stack, without deletion protection", () => {
    for (const table of TABLES) {
      const r = devT.toJSON().Resources[id(dev, dev.tables.get(table))] as Json;
      expect(r.DeletionPolicy).toBe("Delete");
      expect((r.Properties as Json).DeletionProtectionEnabled).toBe(false);
    }
  });

  it("prod tables, the wallet bucket and the KMS key are retained; tables are deletion-protected", () => {
    for (const table of TABLES) {
      const r = prodT.toJSON().Resources[id(prod, prod.tables.get(table))] as Json;
      expect(r.DeletionPolicy).toBe("Retain");
      expect(r.UpdateReplacePolicy).toBe("Retain");
      expect((r.Properties as Json).DeletionProtectionEnabled).toBe(true);
    }
    const key = prodT.toJSON().Resources[id(prod, prod.tokenKeyWrap!)] as Json;
    expect(key.DeletionPolicy).toBe("Retain");
    const bucket = prodT.toJSON().Resources[id(prod, prod.wallet!.bucket)] as Json;
    expect(bucket.DeletionPolicy).toBe("Retain");
    const devBucket = devT.toJSON().Resources[id(dev, dev.wallet!.bucket)] as Json;
    expect(devBucket.DeletionPolicy).toBe("Delete");
  });
});

describe("functions", () => {
  const tableRef = (stack: GatewayStack, table: TableName) => ({
    Ref: id(stack, stack.tables.get(table)),
  });

  it.each(FUNCTIONS)("%s: Node 22 on arm64, ESM bundle, the gateway environment", (fn) => {
    const resource = devT.toJSON().Resources[id(dev, dev.fn(fn).fn)] as { Properties: Json };
    const p = resource.Properties;
    expect(p.Runtime).toBe("nodejs22.x");
    expect(p.Architectures).toEqual(["arm64"]);
    expect(p.Handler).toBe("index.handler");
    expect(p.Role).toEqual({ "Fn::GetAtt": [id(dev, dev.fn(fn).role), "Arn"] });
    // Text log format: Lambda's JSON format would wrap the EMF metering lines and lose the metrics.
    expect(p.LoggingConfig).toEqual({ LogFormat: "Text", LogGroup: { Ref: id(dev, dev.fn(fn).logGroup) } });
    const env = (p.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env).toMatchObject({
      BLINDGATE_THRESHOLDS: "13,15,16,18,21",
      BLINDGATE_KEY_EPOCH_HOURS: "168",
      BLINDGATE_TOKEN_VALIDITY_HOURS: "168",
      BLINDGATE_GRANT_MAX_TTL_SECONDS: "600",
      BLINDGATE_MAX_BATCH: "100",
      BLINDGATE_TABLE_KEYS: tableRef(dev, "keys"),
      BLINDGATE_TABLE_KEY_LOG: tableRef(dev, "keyLog"),
      BLINDGATE_TABLE_PROVIDERS: tableRef(dev, "providers"),
      BLINDGATE_TABLE_SITES: tableRef(dev, "sites"),
      BLINDGATE_TABLE_GRANTS: tableRef(dev, "grants"),
      BLINDGATE_TABLE_SPENT: tableRef(dev, "spent"),
      BLINDGATE_KMS_KEY_ID: { "Fn::GetAtt": [id(dev, dev.tokenKeyWrap!), "Arn"] },
    });
    // The packages hold no source maps (bundling.ts, SOURCEMAP_DIR): nothing for Node to load at cold start.
    expect(env.NODE_OPTIONS).toBeUndefined();
    // Issuer name and URL are the API's own host (no custom domain on dev).
    expect(JSON.stringify(env.BLINDGATE_ISSUER_NAME)).toContain(id(dev, dev.api));
    expect(JSON.stringify(env.BLINDGATE_ISSUER_URL)).toContain("https://");
    expect(env.BLINDGATE_DATA_KEY_FILE).toBeUndefined();
    expect(env.BLINDGATE_DYNAMODB_ENDPOINT).toBeUndefined();
  });

  it("each bundle is an ESM file that loads on Node and exports its handler", async () => {
    const outdir = (dev.node.root as App).outdir;
    for (const fn of FUNCTIONS) {
      const code = (
        (devT.toJSON().Resources[id(dev, dev.fn(fn).fn)] as { Properties: Json }).Properties.Code as {
          S3Key: string;
        }
      ).S3Key;
      const bundle = join(outdir, `asset.${code.replace(/\.zip$/, "")}`, "index.mjs");
      const text = readFileSync(bundle, "utf8");
      expect(text).toContain("createRequire");
      // The CORS wrapper is in the wallet's routes only.
      expect(text.includes("BLINDGATE_WALLET_ORIGIN"), fn).toBe(
        ["directory", "issue", "providers", "credential", "refill"].includes(fn),
      );
      const script = `const m = await import(${JSON.stringify(bundle)}); process.stdout.write(typeof m.handler);`;
      const { stdout } = await run(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], {
        cwd: outdir,
        env: { ...process.env, BLINDGATE_WALLET_ORIGIN: "https://wallet.example" },
      });
      expect(stdout, fn).toBe("function");
    }
  }, 60_000);

  it("RSA functions get more memory; rotate-keys may run for minutes", () => {
    const props = (fn: FunctionName) =>
      (devT.toJSON().Resources[id(dev, dev.fn(fn).fn)] as { Properties: Json }).Properties;
    expect(props("issue").MemorySize).toBe(1024);
    expect(props("check").MemorySize).toBe(1024);
    expect(props("rotateKeys").Timeout).toBe(300);
    expect(props("directory").Timeout).toBeLessThanOrEqual(29); // under the HTTP API integration timeout
  });

  it("configuration from context strings reaches the environment (prod: 16,18, 24 h epochs, custom domain)", () => {
    const env = (
      (prodT.toJSON().Resources[id(prod, prod.fn("issue").fn)] as { Properties: Json }).Properties
        .Environment as { Variables: Json }
    ).Variables;
    expect(env.BLINDGATE_THRESHOLDS).toBe("16,18");
    expect(env.BLINDGATE_KEY_EPOCH_HOURS).toBe("24");
    expect(env.BLINDGATE_ISSUER_NAME).toBe("age.example.org");
    expect(env.BLINDGATE_ISSUER_URL).toBe("https://age.example.org");
  });

  it("log groups keep logs for the configured retention", () => {
    for (const fn of FUNCTIONS) {
      const lg = devT.toJSON().Resources[id(dev, dev.fn(fn).logGroup)] as { Properties: Json };
      expect(lg.Properties.RetentionInDays).toBe(30);
    }
  });
});

describe("HTTP API", () => {
  const routeKeys = (t: Template) =>
    Object.values(t.findResources("AWS::ApiGatewayV2::Route"))
      .map((r) => ((r as Json).Properties as Json).RouteKey as string)
      .sort();

  it("has every route of the architecture, and preflight only on the wallet's routes", () => {
    expect(routeKeys(devT)).toEqual(
      [
        "GET /.well-known/private-token-issuer-directory",
        "GET /v1/key-log",
        "GET /v1/providers",
        "GET /v1/report",
        "OPTIONS /.well-known/private-token-issuer-directory",
        "OPTIONS /token-request",
        "OPTIONS /v1/providers",
        "OPTIONS /v1/credential",
        "OPTIONS /v1/refill",
        "POST /token-request",
        "POST /v1/check",
        "POST /v1/credential",
        "POST /v1/refill",
      ].sort(),
    );
  });

  it("has no API-wide CORS: the wallet's routes answer with its origin, /v1/check and the rest do not", () => {
    devT.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      ProtocolType: "HTTP",
      CorsConfiguration: Match.absent(),
    });
    const resources = devT.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
    const integrationOf = (routeKey: string) => {
      const route = Object.values(resources).find(
        (r) => r.Type === "AWS::ApiGatewayV2::Route" && r.Properties.RouteKey === routeKey,
      );
      const target = JSON.stringify(route?.Properties.Target);
      const integrationId = Object.keys(resources).find(
        (k) => resources[k]?.Type === "AWS::ApiGatewayV2::Integration" && target.includes(`"${k}"`),
      );
      return resources[integrationId as string]?.Properties as Json;
    };
    // Access-Control-* cannot be set by integration response mapping (reserved): no integration tries.
    for (const r of Object.values(resources)) {
      if (r.Type === "AWS::ApiGatewayV2::Integration")
        expect(r.Properties.ResponseParameters).toBeUndefined();
    }
    const walletOrigin = {
      "Fn::Join": ["", ["https://", { "Fn::GetAtt": [id(dev, dev.wallet!.distribution), "DomainName"] }]],
    };
    const envOf = (fn: FunctionName) =>
      (
        (devT.toJSON().Resources[id(dev, dev.fn(fn).fn)] as { Properties: Json }).Properties.Environment as {
          Variables: Json;
        }
      ).Variables;
    for (const [routeKey, fn] of [
      ["GET /.well-known/private-token-issuer-directory", "directory"],
      ["POST /token-request", "issue"],
      ["GET /v1/providers", "providers"],
    ] as const) {
      expect(JSON.stringify(integrationOf(routeKey).IntegrationUri)).toContain(id(dev, dev.fn(fn).fn));
      expect(envOf(fn).BLINDGATE_WALLET_ORIGIN).toEqual(walletOrigin);
    }
    for (const fn of ["check", "keyLog", "rotateKeys"] as const) {
      expect(envOf(fn).BLINDGATE_WALLET_ORIGIN).toBeUndefined();
    }
    // Preflights go to the preflight function, which knows only the wallet origin.
    const preflight = integrationOf("OPTIONS /token-request");
    expect(JSON.stringify(preflight.IntegrationUri)).toContain(id(dev, dev.preflight!.fn));
    const preflightFn = resources[id(dev, dev.preflight!.fn)]?.Properties as Json;
    expect((preflightFn.Environment as { Variables: Json }).Variables).toEqual({
      BLINDGATE_WALLET_ORIGIN: walletOrigin,
    });
    // A bundled handler like the others (functions/handlers/wallet/preflight.ts), run by the bundle tests.
    expect(preflightFn).toMatchObject({ Handler: "index.handler", Runtime: "nodejs22.x", MemorySize: 128 });
    expect((preflightFn.Code as { S3Key?: unknown }).S3Key).toEqual(expect.stringMatching(/\.zip$/));
  });

  it("throttles the stage and each route (defaults, and an operator's override)", () => {
    devT.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      RouteSettings: {
        "GET /.well-known/private-token-issuer-directory": {
          ThrottlingRateLimit: 200,
          ThrottlingBurstLimit: 400,
        },
        "POST /token-request": { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
        "POST /v1/check": { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
        "GET /v1/key-log": { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
        "GET /v1/providers": { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      },
      AccessLogSettings: Match.absent(),
    });
    prodT.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      RouteSettings: Match.objectLike({
        "POST /v1/check": { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 },
      }),
    });
  });

  it("prod: custom domain mapped, execute-api endpoint off; dev keeps the execute-api endpoint", () => {
    prodT.hasResourceProperties("AWS::ApiGatewayV2::DomainName", { DomainName: "age.example.org" });
    prodT.resourceCountIs("AWS::ApiGatewayV2::ApiMapping", 1);
    prodT.hasResourceProperties("AWS::ApiGatewayV2::Api", { DisableExecuteApiEndpoint: true });
    devT.resourceCountIs("AWS::ApiGatewayV2::DomainName", 0);
    devT.hasResourceProperties("AWS::ApiGatewayV2::Api", { DisableExecuteApiEndpoint: false });
  });

  it("outputs ApiUrl and WalletUrl", () => {
    const outputs = devT.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs.ApiUrl?.Value)).toContain(id(dev, dev.api));
    expect(JSON.stringify(outputs.WalletUrl?.Value)).toContain(id(dev, dev.wallet!.distribution));
    expect(prodT.toJSON().Outputs.ApiUrl.Value).toBe("https://age.example.org");
    // The admin CLI's environment: the same variables as the functions'.
    const adminEnv = JSON.stringify(outputs.AdminEnv?.Value);
    for (const name of [
      "BLINDGATE_TABLE_SITES=",
      "BLINDGATE_KMS_KEY_ID=",
      "BLINDGATE_THRESHOLDS=13,15,16,18,21",
    ]) {
      expect(adminEnv).toContain(name);
    }
    expect(adminEnv).toContain(`{"Ref":"${id(dev, dev.tables.get("providers"))}"}`);
  });
});

describe("wallet hosting", () => {
  it("serves the wallet with a strict CSP whose connect-src is the gateway, and no referrer", () => {
    const policy = Object.values(devT.findResources("AWS::CloudFront::ResponseHeadersPolicy"))[0] as {
      Properties: { ResponseHeadersPolicyConfig: { SecurityHeadersConfig: Json } };
    };
    const sec = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = JSON.stringify((sec.ContentSecurityPolicy as Json).ContentSecurityPolicy);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/connect-src 'self' https:\/\/",\{"Ref":"\w+"\},"\.execute-api\./);
    expect(csp).toContain(`{"Ref":"${id(dev, dev.api)}"}`);
    expect(sec.ReferrerPolicy).toEqual({ ReferrerPolicy: "no-referrer", Override: true });
    expect(sec.ContentTypeOptions).toEqual({ Override: true });
    expect(sec.FrameOptions).toEqual({ FrameOption: "DENY", Override: true });
    expect(sec.StrictTransportSecurity).toEqual({
      AccessControlMaxAgeSec: 730 * 86_400,
      IncludeSubdomains: true,
      Override: true,
    });
    // With a custom domain the CSP names that origin.
    const prodPolicy = Object.values(prodT.findResources("AWS::CloudFront::ResponseHeadersPolicy"))[0] as {
      Properties: { ResponseHeadersPolicyConfig: { SecurityHeadersConfig: { ContentSecurityPolicy: Json } } };
    };
    expect(
      prodPolicy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy
        .ContentSecurityPolicy,
    ).toContain("connect-src 'self' https://age.example.org;");
  });

  it("serves the same headers as local mode (functions/local walletHeaders)", () => {
    const local = walletHeaders("https://age.example.org");
    const policy = Object.values(prodT.findResources("AWS::CloudFront::ResponseHeadersPolicy"))[0] as {
      Properties: { ResponseHeadersPolicyConfig: Json };
    };
    const config = policy.Properties.ResponseHeadersPolicyConfig as {
      SecurityHeadersConfig: { ContentSecurityPolicy: Json; ReferrerPolicy: Json };
      CustomHeadersConfig: { Items: { Header: string; Value: string }[] };
    };
    expect(config.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy).toBe(
      local["content-security-policy"],
    );
    expect(config.SecurityHeadersConfig.ReferrerPolicy.ReferrerPolicy).toBe(local["referrer-policy"]);
    expect(local["x-content-type-options"]).toBe("nosniff");
    const custom = Object.fromEntries(
      config.CustomHeadersConfig.Items.map((h) => [h.Header.toLowerCase(), h.Value]),
    );
    expect(custom["cross-origin-resource-policy"]).toBe(local["cross-origin-resource-policy"]);
    expect(custom["cache-control"]).toBe(local["cache-control"]);
  });

  it("keeps the bucket private (public access blocked, TLS only) behind CloudFront OAC", () => {
    devT.hasResourceProperties("AWS::S3::Bucket", {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    devT.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: id(dev, dev.wallet!.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
    devT.hasResourceProperties("AWS::CloudFront::OriginAccessControl", {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: "s3",
        SigningBehavior: "always",
      }),
    });
    devT.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: "index.html",
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: "redirect-to-https",
          ResponseHeadersPolicyId: { Ref: id(dev, dev.wallet!.headers) },
        }),
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue() })],
      }),
    });
  });

  it("deploys the wallet pages and a config.json naming the gateway", () => {
    const deployments = Object.values(devT.findResources("Custom::CDKBucketDeployment")) as {
      Properties: Json;
    }[];
    expect(deployments).toHaveLength(1);
    const p = deployments[0]?.Properties as Json;
    expect(p.DestinationBucketName).toEqual({ Ref: id(dev, dev.wallet!.bucket) });
    expect(p.SourceObjectKeys).toHaveLength(2); // the pages and config.json
    // config.json's values are deploy-time tokens: the API's host, resolved by the deployment custom resource.
    expect(JSON.stringify(p.SourceMarkers)).toContain(`{"Ref":"${id(dev, dev.api)}"}`);
    expect(p.DistributionPaths).toEqual(["/*"]);
  });
});

describe("wallet build at synth", () => {
  it("runs the wallet's build.ts and deploys its output, not its sources", () => {
    const walletDir = join(workDir, "wallet-with-build");
    mkdirSync(walletDir);
    writeFileSync(join(walletDir, "source.ts"), "export const secretSource = 1;\n");
    writeFileSync(
      join(walletDir, "build.ts"),
      [
        'import { writeFile } from "node:fs/promises";',
        'import { join } from "node:path";',
        "export async function buildWallet(outDir: string): Promise<string[]> {",
        '  const file = join(outDir, "index.html");',
        '  await writeFile(file, "<!doctype html><title>built wallet</title>");',
        "  return [file];",
        "}",
      ].join("\n"),
    );
    const walletApp = app({ stage: "walletbuild" });
    const stack = addGatewayStack(walletApp, { walletDir });
    const template = Template.fromStack(stack);
    const deployment = Object.values(template.findResources("Custom::CDKBucketDeployment"))[0] as {
      Properties: { SourceObjectKeys: unknown[] };
    };
    expect(deployment.Properties.SourceObjectKeys).toHaveLength(2);
    // The staged pages asset holds the build's output only.
    const staged = readdirSync(walletApp.outdir)
      .filter((d) => d.startsWith("asset."))
      .map((d) => join(walletApp.outdir, d))
      .filter((d) => existsSync(join(d, "index.html")));
    expect(staged).toHaveLength(1);
    expect(readdirSync(staged[0] as string)).toEqual(["index.html"]);
    expect(readFileSync(join(staged[0] as string, "index.html"), "utf8")).toContain("built wallet");
  }, 120_000);
});

describe("key rotation schedule", () => {
  it("runs rotate-keys once at deploy, after its role, the tables and the KMS key exist", () => {
    const triggers = Object.values(devT.findResources("Custom::Trigger")) as {
      Properties: Json;
      DependsOn: string[];
    }[];
    expect(triggers).toHaveLength(1);
    const trigger = triggers[0]!;
    expect(trigger.Properties.InvocationType).toBe("RequestResponse");
    // The rotate function's current version: run again whenever the function changes.
    const versions = Object.entries(devT.findResources("AWS::Lambda::Version")).filter(
      ([, v]) =>
        JSON.stringify((v as { Properties: Json }).Properties.FunctionName) ===
        JSON.stringify({ Ref: id(dev, dev.fn("rotateKeys").fn) }),
    );
    expect(versions).toHaveLength(1);
    expect(trigger.Properties.HandlerArn).toEqual({ Ref: versions[0]?.[0] });
    const policy = dev.fn("rotateKeys").role.node.tryFindChild("DefaultPolicy")?.node
      .defaultChild as CfnElement;
    for (const needed of [
      dev.getLogicalId(policy),
      id(dev, dev.tables.get("keys")),
      id(dev, dev.tables.get("keyLog")),
      id(dev, dev.tokenKeyWrap!),
    ]) {
      expect(trigger.DependsOn).toContain(needed);
    }
    checkerT.resourceCountIs("Custom::Trigger", 0);
  });

  it("runs rotate-keys every hour by default, with retries", () => {
    devT.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 hour)",
      State: "ENABLED",
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [id(dev, dev.fn("rotateKeys").fn), "Arn"] },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 1800 },
        }),
      ],
    });
    devT.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "events.amazonaws.com",
      FunctionName: { "Fn::GetAtt": [id(dev, dev.fn("rotateKeys").fn), "Arn"] },
    });
  });
});

describe("alarms", () => {
  const alarms = (t: Template) =>
    Object.values(t.findResources("AWS::CloudWatch::Alarm")).map(
      (a) => (a as { Properties: Json }).Properties,
    );

  it("alarm on the API 5xx rate", () => {
    const rate = alarms(devT).find((a) => JSON.stringify(a.Metrics ?? "").includes("5xx"));
    expect(rate).toBeDefined();
    expect(rate?.Threshold).toBe(1);
    expect(rate?.EvaluationPeriods).toBe(3);
    expect(JSON.stringify(rate?.Metrics)).toContain("100 * errors / requests");
  });

  it("alarm on throttles and errors of every function, on DynamoDB system errors of every table", () => {
    const all = alarms(devT);
    for (const fn of FUNCTIONS) {
      const fnRef = JSON.stringify({ Ref: id(dev, dev.fn(fn).fn) });
      for (const metric of ["Throttles", "Errors"]) {
        const alarm = all.find(
          (a) => a.MetricName === metric && JSON.stringify(a.Dimensions).includes(fnRef),
        );
        expect(alarm, `${fn} ${metric}`).toBeDefined();
        expect(alarm?.Namespace).toBe("AWS/Lambda");
      }
    }
    for (const table of TABLES) {
      const tableRef = JSON.stringify({ Ref: id(dev, dev.tables.get(table)) });
      const alarm = all.find((a) => {
        const metrics = JSON.stringify(a.Metrics ?? "");
        return metrics.includes("SystemErrors") && metrics.includes(tableRef);
      });
      expect(alarm, `${table} SystemErrors`).toBeDefined();
    }
    // Every alarm notifies the topic, which mails the operator on prod.
    for (const alarm of all) expect(JSON.stringify(alarm.AlarmActions)).toContain("AlarmsTopic");
    prodT.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "ops@example.org" });
  });
});

describe("split deployment", () => {
  const routeKeys = (t: Template) =>
    Object.values(t.findResources("AWS::ApiGatewayV2::Route"))
      .map((r) => ((r as Json).Properties as Json).RouteKey as string)
      .filter((k) => !k.startsWith("OPTIONS"))
      .sort();

  it("the issuer half runs everything but /v1/check, without the sites and spent tables", () => {
    expect(routeKeys(issuerT)).toEqual([
      "GET /.well-known/private-token-issuer-directory",
      "GET /v1/key-log",
      "GET /v1/providers",
      "GET /v1/report",
      "POST /token-request",
      "POST /v1/credential",
      "POST /v1/refill",
    ]);
    // each half keeps its own report counters
    expect(Object.keys(issuer.tables.tables).sort()).toEqual([
      "grants",
      "keyLog",
      "keys",
      "providers",
      "reports",
    ]);
    issuerT.resourceCountIs("AWS::DynamoDB::Table", 5);
    expect(issuer.functions.check).toBeUndefined();
    issuerT.resourceCountIs("AWS::CloudFront::Distribution", 1);
  });

  it("the issuer lets the checker's role Scan its keys table, and nothing else", () => {
    const keys = issuerT.toJSON().Resources[id(issuer, issuer.tables.get("keys"))] as { Properties: Json };
    expect(keys.Properties.ResourcePolicy).toEqual({
      PolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "CheckerReadsPublicKeys",
            Effect: "Allow",
            Principal: { AWS: CHECK_ROLE },
            Action: "dynamodb:Scan",
            Resource: "*",
          },
        ],
      },
    });
    for (const other of ["keyLog", "providers", "grants"] as const) {
      const t = issuerT.toJSON().Resources[id(issuer, issuer.tables.get(other))] as { Properties: Json };
      expect(t.Properties.ResourcePolicy).toBeUndefined();
    }
    // Without checkers, no resource policy at all.
    const devKeys = devT.toJSON().Resources[id(dev, dev.tables.get("keys"))] as { Properties: Json };
    expect(devKeys.Properties.ResourcePolicy).toBeUndefined();
  });

  it("the checker half runs only /v1/check: no KMS key, no wallet, no schedule", () => {
    expect(routeKeys(checkerT)).toEqual(["POST /v1/check"]);
    expect(Object.keys(checker.functions)).toEqual(["check"]);
    expect(Object.keys(checker.tables.tables).sort()).toEqual(["reports", "sites", "spent"]);
    checkerT.resourceCountIs("AWS::KMS::Key", 0);
    checkerT.resourceCountIs("AWS::CloudFront::Distribution", 0);
    checkerT.resourceCountIs("AWS::Events::Rule", 0);
    checkerT.resourceCountIs("AWS::ApiGatewayV2::Route", 1); // no preflight either
  });

  it("the checker's check role reads the issuer's keys by ARN and writes only its own tables", () => {
    const gf = checker.fn("check");
    expect(grantsOf(checkerT, id(checker, gf.role))).toEqual({
      [id(checker, gf.logGroup)]: ["logs:CreateLogStream", "logs:PutLogEvents"],
      [JSON.stringify(ISSUER_KEYS)]: ["dynamodb:Scan"],
      [id(checker, checker.tables.get("sites"))]: ["dynamodb:GetItem"],
      [id(checker, checker.tables.get("spent"))]: ["dynamodb:PutItem"],
      [id(checker, checker.tables.get("reports"))]: ["dynamodb:UpdateItem"],
    });
    const env = (
      (checkerT.toJSON().Resources[id(checker, gf.fn)] as { Properties: Json }).Properties.Environment as {
        Variables: Json;
      }
    ).Variables;
    expect(env.BLINDGATE_ISSUER_NAME).toBe("age.example.org");
    expect(env.BLINDGATE_ISSUER_URL).toBe("https://age.example.org");
    expect(env.BLINDGATE_TABLE_KEYS).toBe(ISSUER_KEYS);
    expect(env.BLINDGATE_TABLE_SITES).toEqual({ Ref: id(checker, checker.tables.get("sites")) });
    expect(env.BLINDGATE_KMS_KEY_ID).toBe("not-in-this-deployment");
    expect(env.BLINDGATE_TABLE_GRANTS).toBe("not-in-this-deployment");
    const outputs = checkerT.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.CheckRoleArn?.Value).toEqual({ "Fn::GetAtt": [id(checker, gf.role), "Arn"] });
  });
});

describe("configuration", () => {
  it("cdk.json's configuration parses, and -c values override it key by key", () => {
    const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, "cdk.json"), "utf8")) as {
      app: string;
      context: Record<string, unknown>;
    };
    expect(cdkJson.app).toBe("npx tsx --conditions=blindgate-source infra/bin/app.ts");
    const fromFile = parseStackConfig(configFromContext((key) => cdkJson.context[key]));
    expect(fromFile).toMatchObject({
      stage: "dev",
      protectData: false,
      thresholds: [13, 15, 16, 18, 21],
      keyEpochHours: 168,
      grantMaxTtlSeconds: 600,
      components: "all",
    });
    const overridden = parseStackConfig(
      configFromContext((key) => ({ ...cdkJson.context, stage: "prod-eu", maxBatch: "50" })[key]),
    );
    expect(overridden).toMatchObject({
      stage: "prod-eu",
      protectData: true,
      maxBatch: 50,
      keyEpochHours: 168,
    });
  });

  const fails = (context: Json): ConfigError => {
    try {
      addGatewayStack(app(context), { walletDir: join(workDir, "wallet") });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error("expected a ConfigError");
  };

  it.each([
    [{ stage: "Prod!" }, "stage"],
    [{}, "stage"],
    [{ stage: "dev", thresholds: "13,abc" }, "thresholds"],
    [{ stage: "dev", thresholds: "18,18" }, "thresholds"],
    [{ stage: "dev", keyEpochHours: "0" }, "keyEpochHours"],
    [{ stage: "dev", grantMaxTtlSeconds: "86400" }, "grantMaxTtlSeconds"],
    [{ stage: "dev", logRetentionDays: "42" }, "logRetentionDays"],
    [{ stage: "dev", domainName: "age.example.org" }, "certificateArn"],
    [{ stage: "dev", routeThrottle: '{"nope":{"rateLimit":1,"burstLimit":1}}' }, "routeThrottle"],
    [{ stage: "dev", alarmEmail: "not-an-address" }, "alarmEmail"],
    [{ stage: "dev", protectData: "maybe" }, "protectData"],
    [{ blindgate: { stage: "dev", unknownKnob: 1 } }, "(root)"],
    [{ stage: "dev", components: "both" }, "components"],
    [{ stage: "dev", components: "checker", issuerName: "age.example.org" }, "issuerKeysTableArn"],
    [{ stage: "dev", issuerKeysTableArn: ISSUER_KEYS }, "issuerKeysTableArn"],
    [{ stage: "dev", checkerRoleArns: "arn:aws:iam::1:role/x" }, "checkerRoleArns"],
  ])("refuses %j at synth, naming %s", (context, field) => {
    const error = fails(context);
    expect(error.message).toContain(field);
    expect(error.fields.some((f) => f.startsWith(field))).toBe(true);
  });
});
