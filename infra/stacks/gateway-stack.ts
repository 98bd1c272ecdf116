import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as triggers from "aws-cdk-lib/triggers";
import type { Construct } from "constructs";
import { WALLET_ORIGIN_ENV } from "../../functions/http/wallet-cors.js";
import { HTTP_ROUTES } from "../../functions/routes.js";
import type { RouteId, StackConfig } from "../config.js";
import { ACCESS, KMS_CONDITION } from "../constructs/access.js";
import { GatewayAlarms } from "../constructs/alarms.js";
import { ApiEdge } from "../constructs/api-edge.js";
import {
  FUNCTION_IDS,
  type FunctionId,
  HANDLERS_DIR,
  WALLET_DIR,
  WALLET_ROUTE_FUNCTIONS,
} from "../constructs/bundling.js";
import { GatewayDashboard } from "../constructs/dashboard.js";
import { GatewayFunction } from "../constructs/gateway-function.js";
import { Preflight } from "../constructs/preflight.js";
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
  /** Per-client throttling: the edge firewall's web ACL (stack `blindgate-<stage>-edge`, us-east-1). */
  readonly edge?: { readonly webAclArn: string; readonly webAclName: string } | undefined;
}

interface RouteSpec {
  readonly method: apigwv2.HttpMethod;
  readonly path: string;
  readonly fn: FunctionId;
  /** Called by the wallet from its own origin: CORS headers and a preflight route. */
  readonly wallet: boolean;
}

/** Every HTTP route, from the gateway's one route table (functions/routes.ts), which the local server reads too. */
export const ROUTES: Record<RouteId, RouteSpec> = Object.fromEntries(
  Object.entries(HTTP_ROUTES).map(([id, r]) => [id, { ...r, method: apigwv2.HttpMethod[r.method] }]),
) as Record<RouteId, RouteSpec>;

/** What each half of a split deployment runs (docs/deploy.md, "Split deployment"). */
const CHECKER_FUNCTIONS: readonly FunctionId[] = ["check"];
const CHECKER_TABLES: readonly TableId[] = ["sites", "spent"];
/**
 * Tables each half owns its own copy of: the transparency report's counters (the checker counts checks, the issuer
 * issuance; each half publishes its own report).
 */
const BOTH_HALVES: readonly TableId[] = ["reports"];

/** Table names a half does not use: functions/config.ts requires every variable, the code never reads these. */
const NOT_HERE = "not-in-this-deployment";

export class GatewayStack extends Stack {
  readonly api: apigwv2.HttpApi;
  readonly functions: Partial<Record<FunctionId, GatewayFunction>> = {};
  readonly tables: GatewayTables;
  /** The KMS key wrapping token private keys (not in a checker-only deployment). */
  readonly tokenKeyWrap: kms.Key | undefined;
  /** The wallet's hosting (not in a checker-only deployment). */
  readonly wallet: WalletHosting | undefined;
  readonly preflight: Preflight | undefined;
  readonly alarms: GatewayAlarms;
  readonly dashboard: GatewayDashboard;
  /** CloudFront + WAF in front of the API, when per-client throttling is on. */
  readonly edge: ApiEdge | undefined;
  /** ARN of each table the functions use: owned tables, or the issuer's keys table for a checker. */
  private readonly tableArns: Partial<Record<TableId, string>> = {};

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const issues = config.components !== "checker";
    const fnIds = FUNCTION_IDS.filter((f) =>
      config.components === "all"
        ? true
        : config.components === "checker"
          ? CHECKER_FUNCTIONS.includes(f)
          : !CHECKER_FUNCTIONS.includes(f),
    );
    const tableIds = TABLE_IDS.filter((t) =>
      config.components === "all" || BOTH_HALVES.includes(t)
        ? true
        : config.components === "checker"
          ? CHECKER_TABLES.includes(t)
          : !CHECKER_TABLES.includes(t),
    );

    this.tables = new GatewayTables(this, "Tables", {
      protectData: config.protectData,
      ids: tableIds,
      keyReaders: config.checkerRoleArns,
      multiRegion: config.multiRegion,
    });
    for (const table of tableIds) this.tableArns[table] = this.tables.get(table).tableArn;
    if (config.issuer !== undefined) this.tableArns.keys = config.issuer.keysTableArn;

    this.tokenKeyWrap = issues
      ? new kms.Key(this, "TokenKeyWrap", {
          description: `blindgate ${config.stage}: wraps the data keys that encrypt token private keys`,
          enableKeyRotation: true,
          removalPolicy,
          pendingWindow: Duration.days(config.protectData ? 30 : 7),
        })
      : undefined;

    this.api = new apigwv2.HttpApi(this, "Api", {
      apiName: `blindgate-${config.stage}`,
      description: "blindgate Privacy Pass issuer and token checks",
      createDefaultStage: false,
      // Behind the edge, CloudFront reaches the API on its execute-api endpoint (which then requires its header).
      disableExecuteApiEndpoint: config.domain !== undefined && props.edge === undefined,
    });
    const executeApiHost = `${this.api.apiId}.execute-api.${this.region}.${this.urlSuffix}`;
    this.edge =
      props.edge !== undefined
        ? new ApiEdge(this, "Edge", {
            apiHost: executeApiHost,
            webAclArn: props.edge.webAclArn,
            domain: config.domain,
            logRetentionDays: config.logRetentionDays,
            removalPolicy,
          })
        : undefined;
    const apiHost = this.edge?.host ?? config.domain?.domainName ?? executeApiHost;
    const apiUrl = `https://${apiHost}`;
    // A checker answers for another deployment's issuer: challenges and grants name that one.
    const issuerName = config.issuer?.name ?? apiHost;
    const issuerUrl = config.issuer?.url ?? apiUrl;

    this.wallet = issues
      ? new WalletHosting(this, "Wallet", {
          walletDir: props.walletDir ?? WALLET_DIR,
          gatewayOrigin: apiUrl,
          gatewayUrl: apiUrl,
          issuerName,
          protectData: config.protectData,
        })
      : undefined;

    const environment: Record<string, string> = {
      BLINDGATE_ISSUER_NAME: issuerName,
      BLINDGATE_ISSUER_URL: issuerUrl,
      BLINDGATE_KMS_KEY_ID: this.tokenKeyWrap?.keyArn ?? NOT_HERE,
      BLINDGATE_THRESHOLDS: config.thresholds.join(","),
      BLINDGATE_KEY_EPOCH_HOURS: String(config.keyEpochHours),
      BLINDGATE_TOKEN_VALIDITY_HOURS: String(config.tokenValidityHours),
      BLINDGATE_GRANT_MAX_TTL_SECONDS: String(config.grantMaxTtlSeconds),
      BLINDGATE_MAX_BATCH: String(config.maxBatch),
    };
    for (const table of TABLE_IDS) {
      // DynamoDB takes a table ARN wherever it takes a name: that is how a checker reads the issuer's keys.
      environment[TABLE_ENV[table]] =
        this.tables.tables[table]?.tableName ??
        (table === "keys" ? config.issuer?.keysTableArn : undefined) ??
        NOT_HERE;
    }

    const handlersDir = props.handlersDir ?? HANDLERS_DIR;
    const sizing: Record<FunctionId, { memoryMb: number; timeout: Duration }> = {
      directory: { memoryMb: 512, timeout: Duration.seconds(10) },
      issue: { memoryMb: config.cryptoMemoryMb, timeout: Duration.seconds(20) },
      check: { memoryMb: config.cryptoMemoryMb, timeout: Duration.seconds(10) },
      keyLog: { memoryMb: 256, timeout: Duration.seconds(10) },
      providers: { memoryMb: 256, timeout: Duration.seconds(10) },
      credential: { memoryMb: config.cryptoMemoryMb, timeout: Duration.seconds(20) },
      // An ACT spend verification (tens of ms on ristretto255 in pure JS) and up to refillMax signatures.
      refill: { memoryMb: config.cryptoMemoryMb, timeout: Duration.seconds(20) },
      // Seals a closed day on its first request (counters, quotas, key log) and signs it with the report key.
      report: { memoryMb: 512, timeout: Duration.seconds(20) },
      // RSA-2048 key generation for every threshold's next key.
      rotateKeys: { memoryMb: config.cryptoMemoryMb, timeout: Duration.minutes(5) },
    };
    for (const fnId of fnIds) {
      const walletRoute = WALLET_ROUTE_FUNCTIONS.includes(fnId) && this.wallet !== undefined;
      const gf = new GatewayFunction(this, fnId, {
        id: fnId,
        handlersDir,
        environment: walletRoute ? { ...environment, [WALLET_ORIGIN_ENV]: this.wallet.origin } : environment,
        ...sizing[fnId],
        logRetentionDays: config.logRetentionDays,
        removalPolicy,
      });
      this.grantAccess(gf, fnId);
      this.functions[fnId] = gf;
    }

    // Routes, CORS on the wallet's routes only, per-route throttling.
    const wallet = this.wallet;
    this.preflight =
      wallet !== undefined
        ? new Preflight(this, "Preflight", {
            walletOrigin: wallet.origin,
            logRetentionDays: config.logRetentionDays,
            removalPolicy,
          })
        : undefined;
    const preflightIntegration =
      this.preflight !== undefined
        ? new HttpLambdaIntegration("PreflightIntegration", this.preflight.fn)
        : undefined;
    const routes: apigwv2.HttpRoute[] = [];
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const [routeId, spec] of Object.entries(ROUTES) as [RouteId, RouteSpec][]) {
      const target = this.functions[spec.fn];
      if (target === undefined) continue; // the other half's route
      const integration = new HttpLambdaIntegration(`${routeId}Integration`, target.fn);
      const authorizer = this.edge?.authorizer;
      const [route] = this.api.addRoutes({
        path: spec.path,
        methods: [spec.method],
        integration,
        ...(authorizer !== undefined ? { authorizer } : {}),
      });
      if (route === undefined) throw new Error(`no route for ${routeId}`);
      routes.push(route);
      const limits = config.routeThrottle[routeId];
      routeSettings[`${spec.method} ${spec.path}`] = {
        ThrottlingRateLimit: limits.rateLimit,
        ThrottlingBurstLimit: limits.burstLimit,
      };
      if (spec.wallet && preflightIntegration !== undefined) {
        // The answers carry the wallet origin from the handler's CORS wrapper (wallet-cors.ts); here the preflight.
        routes.push(
          ...this.api.addRoutes({
            path: spec.path,
            methods: [apigwv2.HttpMethod.OPTIONS],
            integration: preflightIntegration,
            ...(authorizer !== undefined ? { authorizer } : {}),
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
      ...(config.domain !== undefined && this.edge === undefined
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
    const rotate = this.functions.rotateKeys;
    if (rotate !== undefined) {
      new events.Rule(this, "RotateKeysSchedule", {
        description: "blindgate: keep a current and a next token key per age threshold",
        schedule: events.Schedule.rate(Duration.minutes(config.rotateEveryMinutes)),
        targets: [
          new targets.LambdaFunction(rotate.fn, {
            retryAttempts: 2,
            maxEventAge: Duration.minutes(30),
          }),
        ],
      });
    }

    if (rotate !== undefined) {
      // The first keys at deploy time, not up to an hour later; and a smoke test of the function's IAM, KMS
      // and DynamoDB wiring: if that run fails, the deployment fails. Runs again whenever the function changes
      // (rotation is idempotent: a run with nothing due changes nothing).
      // The trigger invokes the function's current version; the schedule invokes the function itself, so its
      // permission belongs on the function (not on a version), which is what the warning asks to check.
      Annotations.of(rotate.fn).acknowledgeWarning(
        "@aws-cdk/aws-lambda:addPermissionsToVersionOrAlias",
        "EventBridge invokes the unqualified function",
      );
      new triggers.Trigger(this, "RotateKeysOnDeploy", {
        handler: rotate.fn,
        executeAfter: [this.tables, rotate, ...(this.tokenKeyWrap !== undefined ? [this.tokenKeyWrap] : [])],
        invocationType: triggers.InvocationType.REQUEST_RESPONSE,
        timeout: Duration.minutes(5),
      });
    }

    this.alarms = new GatewayAlarms(this, "Alarms", {
      api: this.api,
      functions: Object.fromEntries(fnIds.map((f) => [f, this.fn(f).fn])),
      tables: this.tables.tables as Record<string, dynamodb.ITable>,
      email: config.alarmEmail,
    });
    this.dashboard = new GatewayDashboard(this, "Dashboard", {
      name: `blindgate-${config.stage}`,
      api: this.api,
      functions: Object.fromEntries(fnIds.map((f) => [f, this.fn(f).fn])),
      alarms: this.alarms.alarms,
      webAclName: props.edge?.webAclName,
    });

    new CfnOutput(this, "ApiUrl", { value: apiUrl, description: "Gateway base URL" });
    new CfnOutput(this, "IssuerName", { value: issuerName });
    new CfnOutput(this, "AlarmTopicArn", { value: this.alarms.topic.topicArn });
    if (this.wallet !== undefined) {
      new CfnOutput(this, "WalletUrl", { value: `${this.wallet.origin}/`, description: "Wallet pages" });
    }
    if (this.tokenKeyWrap !== undefined)
      new CfnOutput(this, "KmsKeyArn", { value: this.tokenKeyWrap.keyArn });
    if (rotate !== undefined)
      new CfnOutput(this, "RotateKeysFunctionName", { value: rotate.fn.functionName });
    const keys = this.tables.tables.keys;
    if (keys !== undefined) {
      new CfnOutput(this, "KeysTableArn", {
        value: keys.tableArn,
        description: "issuerKeysTableArn of a checker",
      });
    }
    const check = this.functions.check;
    if (check !== undefined) {
      new CfnOutput(this, "CheckRoleArn", {
        value: check.role.roleArn,
        description: "checkerRoleArns of an issuer",
      });
    }
    // The functions' environment, for the admin CLI: export $(aws cloudformation describe-stacks ... AdminEnv)
    new CfnOutput(this, "AdminEnv", {
      value: Object.entries(environment)
        .map(([k, v]) => `${k}=${v}`)
        .join(" "),
      description: "Environment of the functions, for `npm run admin` against this stack",
    });
  }

  /** A function this deployment runs; throws for one it does not. */
  fn(fnId: FunctionId): GatewayFunction {
    const gf = this.functions[fnId];
    if (gf === undefined) throw new Error(`this deployment has no ${fnId} function`);
    return gf;
  }

  /** One statement per table (exactly the actions of ACCESS) and one for the KMS key, if any. */
  private grantAccess(gf: GatewayFunction, fnId: FunctionId): void {
    const access = ACCESS[fnId];
    for (const [table, actions] of Object.entries(access.tables) as [TableId, readonly string[]][]) {
      const arn = this.tableArns[table];
      if (arn === undefined) throw new Error(`${fnId} needs the ${table} table, which this deployment lacks`);
      gf.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: `Table${table[0]?.toUpperCase()}${table.slice(1)}`,
          actions: [...actions],
          resources: [arn],
        }),
      );
    }
    if (access.kms.length > 0) {
      if (this.tokenKeyWrap === undefined) throw new Error(`${fnId} needs the KMS key`);
      gf.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: "TokenKeyWrap",
          actions: [...access.kms],
          resources: [this.tokenKeyWrap.keyArn],
          conditions: KMS_CONDITION,
        }),
      );
    }
  }
}
