import { join } from "node:path";
import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { WALLET_ORIGIN_ENV } from "../../functions/http/wallet-cors.js";
import { HANDLERS_DIR, REPO_ROOT } from "./bundling.js";
import { functionBundling } from "./gateway-function.js";

/*
 * The preflight (OPTIONS) of the routes the wallet calls, and only those: a small function
 * (functions/handlers/wallet/preflight.ts, bundled like every gateway function) that answers 204 with the
 * wallet's origin, the methods and the two request headers the wallet sends. The answers themselves carry the
 * origin from the handlers' CORS wrapper (functions/http/wallet-cors.ts). An HTTP API's own CORS setting would
 * cover /v1/check too; its response parameter mapping cannot set Access-Control-*.
 */

export interface PreflightProps {
  readonly walletOrigin: string;
  readonly logRetentionDays: number;
  readonly removalPolicy: RemovalPolicy;
}

export class Preflight extends Construct {
  readonly fn: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: PreflightProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.removalPolicy,
    });
    const role = new iam.Role(this, "Role", { assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com") });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "WriteOwnLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.fn = new nodejs.NodejsFunction(this, "Function", {
      entry: join(HANDLERS_DIR, "wallet", "preflight.ts"),
      handler: "handler",
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 128,
      timeout: Duration.seconds(3),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.TEXT,
      environment: { [WALLET_ORIGIN_ENV]: props.walletOrigin },
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
      bundling: functionBundling("preflight"),
    });
  }
}
