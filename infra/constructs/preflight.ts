import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/*
 * The preflight (OPTIONS) of the routes the wallet calls, and only those: a function of a few lines that answers
 * 204 with the wallet's origin, the methods and the two request headers the wallet sends (cached a day by
 * browsers). The answers themselves carry the origin from the handlers' CORS wrapper (functions/http/wallet-cors.ts). An HTTP
 * API's own CORS setting would cover /v1/check too; its response parameter mapping cannot set Access-Control-*.
 */

export const CORS_ALLOW_HEADERS = "authorization, content-type";
export const CORS_MAX_AGE_SECONDS = 86_400;

const CODE = `"use strict";
const headers = {
  "access-control-allow-origin": process.env.WALLET_ORIGIN,
  "access-control-allow-methods": "GET, POST",
  "access-control-allow-headers": "${CORS_ALLOW_HEADERS}",
  "access-control-max-age": "${CORS_MAX_AGE_SECONDS}",
  vary: "Origin",
};
exports.handler = async () => ({ statusCode: 204, headers });
`;

export interface PreflightProps {
  readonly walletOrigin: string;
  readonly logRetentionDays: number;
  readonly removalPolicy: RemovalPolicy;
}

export class Preflight extends Construct {
  readonly fn: lambda.Function;

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
    this.fn = new lambda.Function(this, "Function", {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: "index.handler",
      code: lambda.Code.fromInline(CODE),
      memorySize: 128,
      timeout: Duration.seconds(3),
      role,
      logGroup,
      environment: { WALLET_ORIGIN: props.walletOrigin },
    });
  }
}
