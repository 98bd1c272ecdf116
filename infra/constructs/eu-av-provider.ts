import { join } from "node:path";
import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as wafv2 from "aws-cdk-lib/aws-wafv2";
import { Construct } from "constructs";
import { GRANT_KEY_SECRET_ENV } from "../../providers/eu-av/grant-key-source.js";
import { SESSIONS_TABLE } from "../../providers/eu-av/table.js";
import type { EuAvStackConfig } from "../eu-av-config.js";
import { ApiEdge } from "./api-edge.js";
import { REPO_ROOT } from "./bundling.js";
import { functionBundling } from "./gateway-function.js";
import { anyPath, countsOnly, exactPath, rateRule } from "./rate-rules.js";

/*
 * The EU age-verification provider (providers/eu-av) on AWS: one Lambda function behind an HTTP API, its sessions
 * in one DynamoDB table, its grant key in Secrets Manager.
 *
 * - Function: Node 22 on arm64, ESM, bundled with the gateway functions' esbuild options (bundling.ts: target,
 *   conditions, main fields, require shim, source maps stashed out of the package; its AWS client is the gateway's,
 *   @blindgate/aws-json). The trusted IACA bundle is copied into the package (EU_AV_TRUSTED_IACAS_FILE): the
 *   environment's 4 KB hold only a few certificates.
 * - Grant key: the environment holds the secret's ARN only; the function reads the JWK once per container
 *   (grant-key-source.ts). The template never contains the key.
 * - Table: table.ts's definition (key pk, TTL on ttl), on demand, point-in-time recovery, encrypted with the AWS
 *   managed key (as the gateway's tables).
 * - IAM: its own log group; exactly SESSIONS_TABLE.actions on this table; GetSecretValue on this secret. A secret
 *   encrypted with a customer managed KMS key also needs kms:Decrypt for the role (docs/provider-guide.md).
 */

/** The routes of providers/eu-av/handler.ts. */
export const EU_AV_ROUTES: readonly { method: apigwv2.HttpMethod; path: string }[] = [
  { method: apigwv2.HttpMethod.GET, path: "/verify" },
  { method: apigwv2.HttpMethod.POST, path: "/session" },
  { method: apigwv2.HttpMethod.GET, path: "/r/{id}" },
  { method: apigwv2.HttpMethod.GET, path: "/request/{id}" },
  { method: apigwv2.HttpMethod.GET, path: "/page.js" },
  { method: apigwv2.HttpMethod.GET, path: "/page.css" },
  { method: apigwv2.HttpMethod.GET, path: "/jwks.json" },
  { method: apigwv2.HttpMethod.POST, path: "/response" },
  { method: apigwv2.HttpMethod.POST, path: "/result" },
  { method: apigwv2.HttpMethod.POST, path: "/dc-api" },
];

export const EU_AV_ENTRY = join(REPO_ROOT, "providers", "eu-av", "lambda.ts");
/** The IACA bundle's name inside the function's package. */
export const TRUSTED_IACAS_FILE = "trusted-iacas.pem";

export interface EuAvProviderProps {
  readonly config: EuAvStackConfig;
  /**
   * Per-address limits at the edge: CloudFront carrying the web ACL of {@link EuAvFirewall} (made in us-east-1)
   * in front of the HTTP API, which then answers only requests that came through it (api-edge.ts).
   */
  readonly edge?: { readonly webAclArn: string };
}

/** Requests per client address per 5-minute window, for each rule of {@link EuAvFirewall}. */
export interface EuAvFirewallLimits {
  /** Every route (page, assets, the page's polls at ~1/s while it waits, answers). */
  readonly perIp: number;
  /** POST /session: each one a session and a nonce. One person needs one or two. */
  readonly sessionPerIp: number;
  /** The answers (POST /response, /dc-api): each one a verification's CPU. */
  readonly answerPerIp: number;
}

export const EU_AV_FIREWALL_DEFAULTS: EuAvFirewallLimits = { perIp: 1500, sessionPerIp: 30, answerPerIp: 30 };
export const EU_AV_FIREWALL_RULES = ["PerIp", "SessionPerIp", "AnswerPerIp"] as const;

/**
 * The provider's per-address rate limits, as the gateway's (api-firewall.ts): an AWS WAF web ACL of CLOUDFRONT
 * scope, so it must be created in a us-east-1 stack; its ARN goes to {@link EuAvProvider}'s `edge`. Blocked
 * requests get 429. No WAF logging and no sampled requests (they would keep addresses and times); only the
 * per-rule CloudWatch counts.
 */
export class EuAvFirewall extends Construct {
  readonly acl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: { name: string; limits?: EuAvFirewallLimits }) {
    super(scope, id);
    const limits = props.limits ?? EU_AV_FIREWALL_DEFAULTS;
    const rule = (
      name: (typeof EU_AV_FIREWALL_RULES)[number],
      priority: number,
      limit: number,
      scopeDown?: wafv2.CfnWebACL.StatementProperty,
    ): wafv2.CfnWebACL.RuleProperty =>
      rateRule({ name, priority, limit, windowSeconds: 300, scopeDown, key: "IP" });
    this.acl = new wafv2.CfnWebACL(this, "Acl", {
      name: props.name,
      description: "blindgate EU AV provider per-address rate limits, see docs/provider-guide.md",
      scope: "CLOUDFRONT",
      defaultAction: { allow: {} },
      visibilityConfig: countsOnly(props.name),
      rules: [
        rule("PerIp", 0, limits.perIp),
        rule("SessionPerIp", 1, limits.sessionPerIp, exactPath("/session")),
        rule("AnswerPerIp", 2, limits.answerPerIp, anyPath(["/response", "/dc-api"])),
      ],
    });
  }
}

export class EuAvProvider extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly table: dynamodb.Table;
  readonly api: apigwv2.HttpApi;
  readonly logGroup: logs.LogGroup;
  /** Where browsers and wallet apps reach the provider (the configured public URL, the edge, or the API). */
  readonly publicUrl: string;
  readonly edge: ApiEdge | undefined;

  constructor(scope: Construct, id: string, props: EuAvProviderProps) {
    super(scope, id);
    const { config } = props;
    const removalPolicy = config.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.table = new dynamodb.Table(this, "Sessions", {
      partitionKey: { name: SESSIONS_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: SESSIONS_TABLE.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: config.protectData,
      removalPolicy,
    });

    this.api = new apigwv2.HttpApi(this, "Api", {
      description: `blindgate EU age-verification provider (${config.stage})`,
      createDefaultStage: false,
    });
    // One person's presentation is a handful of requests (page, assets, answer, ~1 poll a second until done).
    new apigwv2.HttpStage(this, "Stage", {
      httpApi: this.api,
      stageName: "$default",
      autoDeploy: true,
      throttle: { rateLimit: config.rateLimit, burstLimit: config.burstLimit },
    });
    this.edge =
      props.edge !== undefined
        ? new ApiEdge(this, "Edge", {
            apiHost: `${this.api.apiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`,
            webAclArn: props.edge.webAclArn,
            domain: undefined,
            logRetentionDays: config.logRetentionDays,
            removalPolicy,
          })
        : undefined;
    this.publicUrl = config.publicUrl ?? this.edge?.url ?? this.api.apiEndpoint;

    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy,
    });
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `blindgate eu-av provider function (${Stack.of(this).stackName})`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "WriteOwnLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "Sessions",
        actions: [...SESSIONS_TABLE.actions],
        resources: [this.table.tableArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "ReadGrantKey",
        actions: ["secretsmanager:GetSecretValue"],
        resources: [config.grantKeySecretArn],
      }),
    );

    this.fn = new nodejs.NodejsFunction(this, "Function", {
      entry: EU_AV_ENTRY,
      handler: "handler",
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: config.memoryMb,
      timeout: Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.TEXT,
      environment: {
        EU_AV_PROVIDER_ID: config.providerId,
        EU_AV_GATEWAY_ISSUER: config.gatewayIssuer,
        EU_AV_WALLET_ORIGINS: config.walletOrigins.join(","),
        EU_AV_PUBLIC_URL: this.publicUrl,
        EU_AV_TRUSTED_IACAS_FILE: TRUSTED_IACAS_FILE,
        [GRANT_KEY_SECRET_ENV]: config.grantKeySecretArn,
        [SESSIONS_TABLE.env]: this.table.tableName,
        ...config.tuning,
        // Behind the edge the function sees CloudFront's addresses, not the viewers': the WAF's SessionPerIp rule
        // counts viewers, and the function's own per-address limit must not lump many people behind one edge.
        ...(props.edge !== undefined ? { EU_AV_SESSIONS_PER_MINUTE: "10000" } : {}),
      },
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
      // the gateway functions' bundling; the trust list copied into the package; maps stashed under "eu-av"
      bundling: functionBundling("eu-av", (output) => [
        copyFile(config.trustedIacasFile, join(output, TRUSTED_IACAS_FILE)),
      ]),
    });

    const integration = new HttpLambdaIntegration("Integration", this.fn);
    for (const route of EU_AV_ROUTES) {
      this.api.addRoutes({
        path: route.path,
        methods: [route.method],
        integration,
        ...(this.edge !== undefined ? { authorizer: this.edge.authorizer } : {}),
      });
    }
  }
}

/** A shell command copying `from` to `to` with node (as stashSourceMap: no reliance on the shell's cp). */
function copyFile(from: string, to: string): string {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const script = 'require("node:fs").copyFileSync(process.argv[1], process.argv[2]);';
  return [process.execPath, "-e", script, from, to].map(quote).join(" ");
}
