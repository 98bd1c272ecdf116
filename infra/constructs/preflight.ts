import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/*
 * CORS for the routes the wallet calls, and only those. An HTTP API's own CORS setting applies to every route
 * (it would hand the wallet's origin to /v1/check too), so the stack does it per route instead:
 *   - the wallet routes' integrations add Access-Control-Allow-Origin: <wallet origin> to every response
 *     (integration response parameters, see corsResponseParameters);
 *   - OPTIONS on those paths goes to this tiny function, which answers the preflight (cached 1 day by browsers).
 * /v1/check has neither: a browser on any origin, the wallet's included, cannot read its answers.
 */

export const CORS_ALLOW_HEADERS = "authorization, content-type";
export const CORS_MAX_AGE_SECONDS = 86_400;

/** Status codes the wallet routes answer with (docs/architecture.md); each gets the CORS headers. */
export const CORS_STATUS_CODES = [
  200, 204, 206, 304, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503,
] as const;

/** Integration response parameters that put the wallet origin on every answer of a route. */
export function corsResponseParameters(walletOrigin: string): Record<string, Record<string, string>> {
  const headers = {
    "overwrite:header.Access-Control-Allow-Origin": walletOrigin,
    "append:header.Vary": "Origin",
  };
  return Object.fromEntries(CORS_STATUS_CODES.map((code) => [String(code), headers]));
}

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
