import { join } from "node:path";
import { type Duration, type RemovalPolicy, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import {
  ESBUILD_CONDITIONS,
  entryFor,
  type FunctionId,
  MAIN_FIELDS,
  NODE_TARGET,
  REPO_ROOT,
  REQUIRE_SHIM,
  SOURCEMAP_DIR,
} from "./bundling.js";

export interface GatewayFunctionProps {
  readonly id: FunctionId;
  readonly handlersDir: string;
  readonly environment: Record<string, string>;
  readonly memoryMb: number;
  readonly timeout: Duration;
  readonly logRetentionDays: number;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * One gateway handler as a Lambda function: Node 22 on arm64, ESM bundle, its own log group with retention, and
 * its own role that may only write to that log group. Table and key permissions are added by the stack, one
 * explicit statement each, so the role holds exactly what the handler uses.
 */
export class GatewayFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: GatewayFunctionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.removalPolicy,
    });
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `blindgate ${props.id} function (${stack.stackName})`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "WriteOwnLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.fn = new nodejs.NodejsFunction(this, "Function", {
      entry: entryFor(props.id, props.handlersDir),
      handler: "handler",
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      // Text, not JSON: with Lambda's JSON log format the runtime wraps each console.log line in its own JSON
      // object, and CloudWatch no longer extracts the functions' EMF metric lines (per-site metering).
      loggingFormat: lambda.LoggingFormat.TEXT,
      // No --enable-source-maps: the maps are not in the package (bundling.ts, SOURCEMAP_DIR).
      environment: props.environment,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
      bundling: functionBundling(props.id),
    });
  }
}

/**
 * How every blindgate function is bundled by NodejsFunction: bundling.ts's esbuild options (ESM for Node 22,
 * minified, the "blindgate-source" condition, no module replaced), the source map moved out of the package
 * (stashSourceMap, under `mapId`), then `afterBundling`'s extra commands in the output directory.
 */
export function functionBundling(
  mapId: string,
  afterBundling: (outputDir: string) => string[] = () => [],
): nodejs.BundlingOptions {
  return {
    format: nodejs.OutputFormat.ESM,
    target: NODE_TARGET,
    minify: true,
    sourceMap: true,
    sourceMapMode: nodejs.SourceMapMode.EXTERNAL,
    sourcesContent: false,
    mainFields: [...MAIN_FIELDS],
    banner: REQUIRE_SHIM,
    // Every dependency goes into the bundle, none is taken from the runtime, whose copies change without notice.
    bundleAwsSDK: true,
    esbuildArgs: { "--conditions": ESBUILD_CONDITIONS.join(",") },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_input: string, output: string) => [
        ...afterBundling(output),
        stashSourceMap(output, mapId),
      ],
    },
    forceDockerBundling: false,
    logLevel: nodejs.LogLevel.ERROR,
  };
}

/**
 * A shell command (run by the local bundler in the asset's output directory) that moves index.mjs.map out of the
 * Lambda package to SOURCEMAP_DIR/<function>/<sha256 of index.mjs>.map: the package holds only the code, and the
 * map that matches a deployed bundle is found from the bundle's own hash.
 */
export function stashSourceMap(outputDir: string, fnId: string): string {
  const script = [
    'const { createHash } = require("node:crypto");',
    'const { mkdirSync, readFileSync, renameSync } = require("node:fs");',
    "const [out, dir] = process.argv.slice(1);",
    'const hash = createHash("sha256").update(readFileSync(out + "/index.mjs")).digest("hex");',
    "mkdirSync(dir, { recursive: true });",
    'renameSync(out + "/index.mjs.map", dir + "/" + hash + ".map");',
  ].join(" ");
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  return [process.execPath, "-e", script, outputDir, join(SOURCEMAP_DIR, fnId)].map(quote).join(" ");
}
