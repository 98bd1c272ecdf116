import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { App, type CfnElement, type Stack } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../../../infra/config.js";
import { EDGE_HEADER } from "../../../infra/constructs/api-edge.js";
import { REPO_ROOT } from "../../../infra/constructs/bundling.js";
import { figureExpression, GATEWAY_FIGURES } from "../../../infra/constructs/dashboard.js";
import { addGatewayStack } from "../../../infra/stacks/gateway-app.js";
import type { GatewayStack } from "../../../infra/stacks/gateway-stack.js";

/*
 * Per-client throttling (CloudFront + WAF), the dashboard and the multi-region spent table, at synth: one app as an
 * operator would configure it (cdk.json, edge on, a region, MRSC with a witness), the edge stack in us-east-1
 * beside it.
 */

type Json = Record<string, unknown>;

let workDir: string;
let gateway: GatewayStack;
let edgeStack: Stack;
let gwT: Template;
let edgeT: Template;

beforeAll(() => {
  mkdirSync(join(REPO_ROOT, "cdk.out"), { recursive: true });
  workDir = mkdtempSync(join(REPO_ROOT, "cdk.out", "test-edge-"));
  const walletDir = join(workDir, "wallet");
  mkdirSync(walletDir);
  writeFileSync(join(walletDir, "index.html"), "<!doctype html><title>wallet</title>\n");
  // With cdk.json's context: its feature flags (template validation among them) apply to this synth.
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, "cdk.json"), "utf8")) as { context: Json };
  const app = new App({
    context: {
      ...cdkJson.context,
      stage: "prod",
      edge: "true",
      firewall: '{"checkPerSite":3000}',
      multiRegion: '{"replicaRegions":["eu-west-1"],"witnessRegion":"eu-central-1"}',
    },
    outdir: join(workDir, "assembly"),
  });
  gateway = addGatewayStack(app, { walletDir, env: { account: "123456789012", region: "eu-west-3" } });
  edgeStack = app.node.findChild("blindgate-prod-edge") as Stack;
  gwT = Template.fromStack(gateway);
  edgeT = Template.fromStack(edgeStack);
}, 240_000);

afterAll(() => {
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

const rateRule = (name: string, limit: number, key: Json, scopeDown: Json) => ({
  Name: name,
  Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
  VisibilityConfig: { CloudWatchMetricsEnabled: true, MetricName: name, SampledRequestsEnabled: false },
  Statement: {
    RateBasedStatement: { Limit: limit, EvaluationWindowSec: 60, ScopeDownStatement: scopeDown, ...key },
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

describe("per-client throttling at the edge", () => {
  it("puts the web ACL in us-east-1 (CloudFront scope), with no sampled requests and no logging", () => {
    expect(edgeStack.region).toBe("us-east-1");
    edgeT.hasResourceProperties("AWS::WAFv2::WebACL", {
      Scope: "CLOUDFRONT",
      DefaultAction: { Allow: {} },
      VisibilityConfig: Match.objectLike({ SampledRequestsEnabled: false }),
    });
    edgeT.resourceCountIs("AWS::WAFv2::LoggingConfiguration", 0);
  });

  it("limits per address on the public routes and per site key on /v1/check", () => {
    edgeT.hasResourceProperties("AWS::WAFv2::WebACL", {
      Rules: [
        rateRule(
          "PerIp",
          600,
          { AggregateKeyType: "IP" },
          { NotStatement: { Statement: path("/v1/check") } },
        ),
        // Tokens and credit credentials: one budget per address for everything that issues.
        rateRule(
          "IssuePerIp",
          60,
          { AggregateKeyType: "IP" },
          { OrStatement: { Statements: [path("/token-request"), path("/v1/credential")] } },
        ),
        rateRule("KeyLogPerIp", 60, { AggregateKeyType: "IP" }, path("/v1/key-log")),
        rateRule(
          "CheckPerSite",
          3000, // the override
          {
            AggregateKeyType: "CUSTOM_KEYS",
            CustomKeys: [
              { Header: { Name: "authorization", TextTransformations: [{ Priority: 0, Type: "NONE" }] } },
            ],
          },
          path("/v1/check"),
        ),
        rateRule("CheckPerIp", 12_000, { AggregateKeyType: "IP" }, path("/v1/check")),
      ].map((r, i) => ({ ...r, Priority: i })),
    });
  });

  it("associates the web ACL with the CloudFront distribution in front of the API, nothing cached", () => {
    gwT.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: Match.objectLike({
        Comment: Match.stringLikeRegexp("blindgate API"),
        WebACLId: Match.anyValue(),
        DefaultCacheBehavior: Match.objectLike({
          AllowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
          CachePolicyId: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", // CachingDisabled
          OriginRequestPolicyId: "b689b0a8-53d0-40ab-baf2-68738e2966ac", // AllViewerExceptHostHeader
          ViewerProtocolPolicy: "https-only",
        }),
        Origins: [
          Match.objectLike({
            OriginCustomHeaders: [{ HeaderName: EDGE_HEADER, HeaderValue: Match.anyValue() }],
            CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: "https-only" }),
          }),
        ],
      }),
    });
    const dist = Object.values(gwT.findResources("AWS::CloudFront::Distribution")).find((d) =>
      JSON.stringify(d).includes("blindgate API"),
    ) as Json;
    // The ACL's ARN crosses regions as an output of the edge stack (cdk.json: weak cross-stack references).
    const webAcl = ((dist.Properties as Json).DistributionConfig as Json).WebACLId as Json;
    expect(webAcl).toEqual({
      "Fn::GetStackOutput": {
        StackName: "blindgate-prod-edge",
        Region: "us-east-1",
        OutputName: expect.stringMatching(/FirewallAcl.*Arn/),
      },
    });
    expect(gateway.dependencies).toContain(edgeStack);
  });

  it("refuses requests that bypass CloudFront: every route needs the edge header (cached authorizer)", () => {
    gwT.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
      AuthorizerType: "REQUEST",
      IdentitySource: [`$request.header.${EDGE_HEADER}`],
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 3600,
    });
    const routes = Object.values(gwT.findResources("AWS::ApiGatewayV2::Route")) as { Properties: Json }[];
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const r of routes) expect(r.Properties.AuthorizationType).toBe("CUSTOM");
    gwT.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs22.x",
      Code: { ZipFile: Match.stringLikeRegexp("timingSafeEqual") },
      Environment: {
        Variables: { EDGE_VALUE: { "Fn::Select": [2, { "Fn::Split": ["/", { Ref: "AWS::StackId" }] }] } },
      },
    });
  });

  it("names the CloudFront host as the issuer and the wallet's gateway", () => {
    const check = gwT.toJSON().Resources[
      gateway.getLogicalId(gateway.fn("check").fn.node.defaultChild as CfnElement)
    ] as { Properties: { Environment: { Variables: Json } } };
    const distId = gateway.getLogicalId(gateway.edge!.distribution.node.defaultChild as CfnElement);
    expect(check.Properties.Environment.Variables.BLINDGATE_ISSUER_NAME).toEqual({
      "Fn::GetAtt": [distId, "DomainName"],
    });
  });

  it("is left out, with a warning, when the region is unknown at synth", () => {
    const app = new App({ context: { stage: "dev", edge: "true" }, outdir: join(workDir, "agnostic") });
    const stack = addGatewayStack(app, { walletDir: join(workDir, "wallet") });
    expect(stack.edge).toBeUndefined();
    Annotations.fromStack(stack).hasWarning("*", Match.stringLikeRegexp("per-client throttling left out"));
  }, 240_000);
});

describe("dashboard", () => {
  const body = () =>
    JSON.stringify(
      (Object.values(gwT.findResources("AWS::CloudWatch::Dashboard"))[0] as { Properties: Json }).Properties
        .DashboardBody,
    );

  it("draws every gateway figure with a SEARCH over its dimension (namespace blindgate)", () => {
    gwT.hasResourceProperties("AWS::CloudWatch::Dashboard", { DashboardName: "blindgate-prod" });
    for (const f of GATEWAY_FIGURES) {
      // The body is JSON inside a CloudFormation string: the expression's quotes arrive escaped twice.
      expect(body()).toContain(
        `SEARCH('{blindgate,${f.dimension}} MetricName=\\\\\\"${f.metric}\\\\\\"', 'Sum', 300)`,
      );
    }
    expect(figureExpression({ title: "x", metric: "CheckRefused", dimension: "code" })).toBe(
      `SEARCH('{blindgate,code} MetricName="CheckRefused"', 'Sum', 300)`,
    );
  });

  it("shows every alarm, the API latency, the functions' throttles and the firewall's refusals", () => {
    const b = body();
    for (const alarm of gateway.alarms.alarms) {
      expect(b).toContain(gateway.getLogicalId(alarm.node.defaultChild as CfnElement));
    }
    expect(b).toContain('\\"AWS/ApiGateway\\",\\"Latency\\"');
    expect(b).toContain('\\"AWS/Lambda\\",\\"Throttles\\"');
    expect(b).toContain('\\"AWS/WAFV2\\",\\"BlockedRequests\\",\\"Rule\\",\\"CheckPerSite\\"');
  });
});

describe("multi-region single use", () => {
  it("makes the spent table a global table with multi-region strong consistency and a witness", () => {
    gwT.hasResourceProperties("AWS::DynamoDB::GlobalTable", {
      MultiRegionConsistency: "STRONG",
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
      TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
      GlobalTableWitnesses: [{ Region: "eu-central-1" }],
      Replicas: Match.arrayWith([
        Match.objectLike({ Region: "eu-west-1" }),
        Match.objectLike({
          Region: "eu-west-3",
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ]),
    });
    // Grants are single use too (a grant replayed in a second region would issue twice): the same mode.
    expect(Object.keys(gwT.findResources("AWS::DynamoDB::GlobalTable")).sort()).toEqual(
      (["grants", "spent"] as const)
        .map((t) => gateway.getLogicalId(gateway.tables.get(t).node.defaultChild as CfnElement))
        .sort(),
    );
    for (const t of Object.values(gwT.findResources("AWS::DynamoDB::GlobalTable"))) {
      expect((t as { Properties: Json }).Properties.MultiRegionConsistency).toBe("STRONG");
    }
    // The other tables stay regional.
    gwT.resourceCountIs("AWS::DynamoDB::Table", Object.keys(gateway.tables.tables).length - 2);
  });

  it("grants check PutItem on the spent table's replica in its region", () => {
    gwT.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: "TableSpent",
            Action: "dynamodb:PutItem",
            Resource: Match.objectLike({ "Fn::GetAtt": Match.arrayWith(["Arn"]) }),
          }),
        ]),
      },
    });
  });

  const bad = (multiRegion: unknown) => {
    try {
      parseStackConfig({ stage: "prod", multiRegion });
    } catch (e) {
      return e as ConfigError;
    }
    throw new Error("accepted");
  };

  it("refuses eventually consistent replication, and a region set that is not three", () => {
    const eventual = bad({ replicaRegions: ["eu-west-1", "eu-central-1"], consistency: "EVENTUAL" });
    expect(eventual).toBeInstanceOf(ConfigError);
    expect(eventual.message).toMatch(/multiRegion\.consistency: .*only STRONG/);
    expect(bad({ replicaRegions: ["eu-west-1"] }).message).toMatch(/needs three regions/);
    expect(bad({ replicaRegions: ["eu-west-1", "eu-west-1"] }).message).toMatch(/needs three regions/);
    expect(bad({ replicaRegions: ["Paris"] }).fields).toContain("multiRegion.replicaRegions.0");
  });

  it("is allowed in either half of a split deployment (grants with the issuer, spent with the checker)", () => {
    const mr = { replicaRegions: ["eu-west-1", "eu-central-1"] };
    expect(parseStackConfig({ stage: "prod", components: "issuer", multiRegion: mr }).multiRegion).toEqual({
      replicaRegions: ["eu-west-1", "eu-central-1"],
      witnessRegion: undefined,
    });
  });

  it("needs the region at synth", () => {
    const app = new App({
      context: { stage: "dev", multiRegion: '{"replicaRegions":["eu-west-1","eu-central-1"]}' },
      outdir: join(workDir, "mr"),
    });
    expect(() => addGatewayStack(app, { walletDir: join(workDir, "wallet") })).toThrow(
      /region must be known/,
    );
  });

  it("with edge on, a custom domain's certificate must be in us-east-1 (CloudFront's)", () => {
    expect(() =>
      parseStackConfig({
        stage: "prod",
        edge: true,
        domainName: "age.example.org",
        certificateArn: "arn:aws:acm:eu-west-3:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000000",
      }),
    ).toThrow(/certificateArn: .*us-east-1/);
  });
});
