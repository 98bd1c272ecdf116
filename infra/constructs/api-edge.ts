import { Duration, Fn, type RemovalPolicy } from "aws-cdk-lib";
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/*
 * The public front of the API when per-client throttling is on: a CloudFront distribution (no caching, every
 * viewer header but Host forwarded, so Authorization and the wallet's Origin reach the functions) carrying the
 * WAF web ACL of api-firewall.ts, in front of the HTTP API.
 *
 * The execute-api endpoint stays reachable on the internet, so CloudFront adds a header the API requires:
 * `x-blindgate-edge: <value>`, checked by a Lambda authorizer on every route. The value is the UUID part of the
 * stack id (unguessable, stable across updates, never in the repository). Requests without the header are refused
 * by API Gateway itself (401, no invocation); the authorizer's answer is cached an hour per header value, so it
 * runs about once an hour for the real traffic. What that does not stop: a caller who learns the value from the
 * account's CloudFormation; that caller can also change the stack.
 */

export const EDGE_HEADER = "x-blindgate-edge";

const CODE = `"use strict";
const { timingSafeEqual } = require("node:crypto");
const expected = Buffer.from(process.env.EDGE_VALUE || "", "utf8");
exports.handler = async (event) => {
  const got = Buffer.from((event.headers && event.headers["${EDGE_HEADER}"]) || "", "utf8");
  return { isAuthorized: expected.length > 0 && got.length === expected.length && timingSafeEqual(got, expected) };
};
`;

export interface ApiEdgeProps {
  /** Host name of the HTTP API's execute-api endpoint. */
  readonly apiHost: string;
  /** ARN of the WAF web ACL (CLOUDFRONT scope, us-east-1). */
  readonly webAclArn: string;
  /** Custom domain served by CloudFront, with its certificate (us-east-1). */
  readonly domain: { readonly domainName: string; readonly certificateArn: string } | undefined;
  readonly logRetentionDays: number;
  readonly removalPolicy: RemovalPolicy;
}

export class ApiEdge extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly authorizer: HttpLambdaAuthorizer;
  readonly verifier: lambda.Function;
  /** https://<custom domain or distribution domain> */
  readonly url: string;
  readonly host: string;

  constructor(scope: Construct, id: string, props: ApiEdgeProps) {
    super(scope, id);
    const value = Fn.select(2, Fn.split("/", Fn.ref("AWS::StackId")));

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
    this.verifier = new lambda.Function(this, "Verifier", {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: "index.handler",
      code: lambda.Code.fromInline(CODE),
      memorySize: 128,
      timeout: Duration.seconds(3),
      role,
      logGroup,
      environment: { EDGE_VALUE: value },
    });
    this.authorizer = new HttpLambdaAuthorizer("EdgeOnly", this.verifier, {
      authorizerName: "edge-only",
      identitySource: [`$request.header.${EDGE_HEADER}`],
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      resultsCacheTtl: Duration.hours(1),
    });

    this.distribution = new cloudfront.Distribution(this, "Cdn", {
      comment: "blindgate API (per-client throttling by AWS WAF)",
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      webAclId: props.webAclArn,
      ...(props.domain !== undefined
        ? {
            domainNames: [props.domain.domainName],
            certificate: acm.Certificate.fromCertificateArn(this, "Certificate", props.domain.certificateArn),
          }
        : {}),
      defaultBehavior: {
        origin: new origins.HttpOrigin(props.apiHost, {
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          customHeaders: { [EDGE_HEADER]: value },
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        compress: false,
      },
    });
    this.host = props.domain?.domainName ?? this.distribution.distributionDomainName;
    this.url = `https://${this.host}`;
  }
}
