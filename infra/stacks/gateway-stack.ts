import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import type { Construct } from "constructs";
import type { RouteId, StackConfig } from "../config.js";
import { ACCESS } from "../constructs/access.js";
import { GatewayAlarms } from "../constructs/alarms.js";
import { FUNCTION_IDS, type FunctionId, HANDLERS_DIR, WALLET_DIR } from "../constructs/bundling.js";
import { GatewayFunction } from "../constructs/gateway-function.js";
import { corsResponseParameters, Preflight } from "../constructs/preflight.js";
import { GatewayTables, TABLE_ENV, TABLE_IDS, type TableId } from "../constructs/tables.js";
import { WalletHosting } from "../constructs/wallet-hosting.js";

/*
 * The whole gateway on AWS: HTTP API -> one Lambda per route -> DynamoDB; a KMS key wrapping the token private
 * keys; an EventBridge schedule for rotate-keys; the wallet on S3 + CloudFront; alarms. See docs/deploy.md.
 */

export interface GatewayStackProps extends StackProps {
  readonly config: StackConfig;
  /** Directory of the handler files (directory.ts, issue.ts, ...). Default functions/handlers. */
  readonly handlersDir?: string;
  /** The wallet's directory. Default wallet/. */
  readonly walletDir?: string;
}

interface RouteSpec {
  readonly method: apigwv2.HttpMethod;
  readonly path: string;
  readonly fn: FunctionId;
  /** Called by the wallet from its own origin: CORS headers and a preflight route. */
  readonly wallet: boolean;
}

/** Every HTTP route of docs/architecture.md. */
export const ROUTES: Record<RouteId, RouteSpec> = {
  directory: {
    method: apigwv2.HttpMethod.GET,
    path: "/.well-known/private-token-issuer-directory",
    fn: "directory",
    wallet: true,
  },
  issue: { method: apigwv2.HttpMethod.POST, path: "/token-request", fn: "issue", wallet: true },
  check: { method: apigwv2.HttpMethod.POST, path: "/v1/check", fn: "check", wallet: false },
  // The key log answers `Access-Control-Allow-Origin: *` itself: anyone may audit it, from any page.
  keyLog: { method: apigwv2.HttpMethod.GET, path: "/v1/key-log", fn: "keyLog", wallet: false },
  providers: { method: apigwv2.HttpMethod.GET, path: "/v1/providers", fn: "providers", wallet: true },
};

export class GatewayStack extends Stack {
  readonly api: apigwv2.HttpApi;
  readonly functions: Record<FunctionId, GatewayFunction>;
  readonly tables: GatewayTables;
  readonly tokenKeyWrap: kms.Key;
  readonly wallet: WalletHosting;
  readonly alarms: GatewayAlarms;
  readonly preflight: Preflight;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.tables = new GatewayTables(this, "Tables", { protectData: config.protectData });

    this.tokenKeyWrap = new kms.Key(this, "TokenKeyWrap", {
      description: `blindgate ${config.stage}: wraps the data keys that encrypt token private keys`,
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(config.protectData ? 30 : 7),
    });

    this.api = new apigwv2.HttpApi(this, "Api", {
      apiName: `blindgate-${config.stage}`,
      description: "blindgate Privacy Pass issuer and token checks",
      createDefaultStage: false,
      disableExecuteApiEndpoint: config.domain !== undefined,
    });
    const issuerName =
      config.domain?.domainName ?? `${this.api.apiId}.execute-api.${this.region}.${this.urlSuffix}`;
    const issuerUrl = `https://${issuerName}`;

    this.wallet = new WalletHosting(this, "Wallet", {
      walletDir: props.walletDir ?? WALLET_DIR,
      gatewayOrigin: issuerUrl,
      gatewayUrl: issuerUrl,
      issuerName,
      protectData: config.protectData,
    });

    const environment: Record<string, string> = {
      BLINDGATE_ISSUER_NAME: issuerName,
      BLINDGATE_ISSUER_URL: issuerUrl,
      BLINDGATE_KMS_KEY_ID: this.tokenKeyWrap.keyArn,
      BLINDGATE_THRESHOLDS: config.thresholds.join(","),
      BLINDGATE_KEY_EPOCH_HOURS: String(config.keyEpochHours),
      BLINDGATE_TOKEN_VALIDITY_HOURS: String(config.tokenValidityHours),
      BLINDGATE_GRANT_MAX_TTL_SECONDS: String(config.grantMaxTtlSeconds),
      BLINDGATE_MAX_BATCH: String(config.maxBatch),
    };
    for (const table of TABLE_IDS) environment[TABLE_ENV[table]] = this.tables.tables[table].tableName;

    const handlersDir = props.handlersDir ?? HANDLERS_DIR;
    const sizing: Record<FunctionId, { memoryMb: number; timeout: Duration }> = {
      directory: { memoryMb: 512, timeout: Duration.seconds(10) },
      issue: { memoryMb: config.cryptoMemoryMb, timeout: Duration.seconds(20) },
      check: { memoryMb: config.cryptoMemoryMb, timeout: Duration.seconds(10) },
      keyLog: { memoryMb: 256, timeout: Duration.seconds(10) },
      providers: { memoryMb: 256, timeout: Duration.seconds(10) },
      // RSA-2048 key generation for every threshold's next key.
      rotateKeys: { memoryMb: config.cryptoMemoryMb, timeout: Duration.minutes(5) },
    };
    const functions = {} as Record<FunctionId, GatewayFunction>;
    for (const fnId of FUNCTION_IDS) {
      const gf = new GatewayFunction(this, fnId, {
        id: fnId,
        handlersDir,
        environment,
        ...sizing[fnId],
        logRetentionDays: config.logRetentionDays,
        removalPolicy,
      });
      this.grantAccess(gf, fnId);
      functions[fnId] = gf;
    }
    this.functions = functions;

    // Routes, CORS on the wallet's routes only, per-route throttling.
    this.preflight = new Preflight(this, "Preflight", {
      walletOrigin: this.wallet.origin,
      logRetentionDays: config.logRetentionDays,
      removalPolicy,
    });
    const preflightIntegration = new HttpLambdaIntegration("PreflightIntegration", this.preflight.fn);
    const routes: apigwv2.HttpRoute[] = [];
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const [routeId, spec] of Object.entries(ROUTES) as [RouteId, RouteSpec][]) {
      const integration = new HttpLambdaIntegration(`${routeId}Integration`, functions[spec.fn].fn);
      const [route] = this.api.addRoutes({ path: spec.path, methods: [spec.method], integration });
      if (route === undefined) throw new Error(`no route for ${routeId}`);
      routes.push(route);
      const limits = config.routeThrottle[routeId];
      routeSettings[`${spec.method} ${spec.path}`] = {
        ThrottlingRateLimit: limits.rateLimit,
        ThrottlingBurstLimit: limits.burstLimit,
      };
      if (spec.wallet) {
        for (const child of route.node.children) {
          if (child instanceof apigwv2.HttpIntegration) {
            (child.node.defaultChild as apigwv2.CfnIntegration).responseParameters = corsResponseParameters(
              this.wallet.origin,
            );
          }
        }
        routes.push(
          ...this.api.addRoutes({
            path: spec.path,
            methods: [apigwv2.HttpMethod.OPTIONS],
            integration: preflightIntegration,
          }),
        );
      }
    }

    const stage = new apigwv2.HttpStage(this, "Stage", {
      httpApi: this.api,
      autoDeploy: true,
      throttle: config.throttle,
      // No access logs on purpose: they would hold addresses and times of issuance and of checks, the two
      // things the gateway must not be able to link. Metrics and function logs (no token bytes) remain.
      ...(config.domain !== undefined
        ? {
            domainMapping: {
              domainName: new apigwv2.DomainName(this, "Domain", {
                domainName: config.domain.domainName,
                certificate: acm.Certificate.fromCertificateArn(
                  this,
                  "Certificate",
                  config.domain.certificateArn,
                ),
              }),
            },
          }
        : {}),
    });
    const cfnStage = stage.node.defaultChild as apigwv2.CfnStage;
    cfnStage.addPropertyOverride("RouteSettings", routeSettings);
    for (const route of routes) cfnStage.node.addDependency(route);

    // Key rotation.
    new events.Rule(this, "RotateKeysSchedule", {
      description: "blindgate: keep a current and a next token key per age threshold",
      schedule: events.Schedule.rate(Duration.minutes(config.rotateEveryMinutes)),
      targets: [
        new targets.LambdaFunction(functions.rotateKeys.fn, {
          retryAttempts: 2,
          maxEventAge: Duration.minutes(30),
        }),
      ],
    });

    this.alarms = new GatewayAlarms(this, "Alarms", {
      api: this.api,
      functions: Object.fromEntries(FUNCTION_IDS.map((f) => [f, functions[f].fn])),
      tables: this.tables.tables,
      email: config.alarmEmail,
    });

    new CfnOutput(this, "ApiUrl", { value: issuerUrl, description: "Gateway base URL (issuer URL)" });
    new CfnOutput(this, "WalletUrl", { value: `${this.wallet.origin}/`, description: "Wallet pages" });
    new CfnOutput(this, "IssuerName", { value: issuerName });
    new CfnOutput(this, "KmsKeyArn", { value: this.tokenKeyWrap.keyArn });
    new CfnOutput(this, "AlarmTopicArn", { value: this.alarms.topic.topicArn });
    new CfnOutput(this, "RotateKeysFunctionName", { value: functions.rotateKeys.fn.functionName });
    // The functions' environment, for the admin CLI: export $(aws cloudformation describe-stacks ... AdminEnv)
    new CfnOutput(this, "AdminEnv", {
      value: Object.entries(environment)
        .map(([k, v]) => `${k}=${v}`)
        .join(" "),
      description: "Environment of the functions, for `npm run admin` against this stack",
    });
  }

  /** One statement per table (exactly the actions of ACCESS) and one for the KMS key, if any. */
  private grantAccess(gf: GatewayFunction, fnId: FunctionId): void {
    const access = ACCESS[fnId];
    for (const [table, actions] of Object.entries(access.tables) as [TableId, readonly string[]][]) {
      gf.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: `Table${table[0]?.toUpperCase()}${table.slice(1)}`,
          actions: [...actions],
          resources: [this.tables.tables[table].tableArn],
        }),
      );
    }
    if (access.kms.length > 0) {
      gf.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: "TokenKeyWrap",
          actions: [...access.kms],
          resources: [this.tokenKeyWrap.keyArn],
        }),
      );
    }
  }
}
