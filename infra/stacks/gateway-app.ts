import { Annotations, type App, type Environment, Stack, Token } from "aws-cdk-lib";
import {
  ConfigError,
  configFromContext,
  type GatewayConfigInput,
  parseStackConfig,
  type StackConfig,
} from "../config.js";
import { ApiFirewall } from "../constructs/api-firewall.js";
import { GatewayStack, ROUTES } from "./gateway-stack.js";

export interface GatewayAppOptions {
  /** Values over the context's (tests, or a program that embeds the stack). */
  readonly overrides?: Partial<GatewayConfigInput>;
  readonly handlersDir?: string;
  readonly walletDir?: string;
  readonly env?: Environment;
}

/**
 * Add the gateway stack `blindgate-<stage>` to an app, configured from its context (cdk.json and `-c`).
 * An invalid configuration throws ConfigError here, at synth, naming the field.
 */
export function addGatewayStack(app: App, options: GatewayAppOptions = {}): GatewayStack {
  const config = parseStackConfig({
    ...configFromContext((key) => app.node.tryGetContext(key)),
    ...options.overrides,
  });
  const region = options.env?.region;
  const knownRegion = region !== undefined && !Token.isUnresolved(region) ? region : undefined;
  if (config.multiRegion !== undefined && knownRegion === undefined) {
    throw new ConfigError(
      "blindgate stack configuration: multiRegion: the stack's region must be known at synth " +
        "(CDK_DEFAULT_REGION, set by the CLI from your profile)",
      ["multiRegion"],
    );
  }
  const edge = config.edge && knownRegion !== undefined ? addEdgeStack(app, config, options.env) : undefined;
  const stack = new GatewayStack(app, `blindgate-${config.stage}`, {
    config,
    ...(edge !== undefined
      ? {
          edge: { webAclArn: edge.firewall.acl.attrArn, webAclName: edge.name },
          crossRegionReferences: true,
        }
      : {}),
    description: `blindgate age-verification gateway (${config.stage})`,
    ...(options.handlersDir !== undefined ? { handlersDir: options.handlersDir } : {}),
    ...(options.walletDir !== undefined ? { walletDir: options.walletDir } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
    tags: { project: "blindgate", stage: config.stage },
  });
  if (edge !== undefined) stack.addStackDependency(edge.stack);
  if (config.edge && edge === undefined) {
    // Offline synth without a region (no profile): a template without per-client throttling, said out loud.
    Annotations.of(stack).addWarningV2(
      "blindgate:edgeNeedsRegion",
      "edge: per-client throttling left out, the stack's region is unknown at synth (set CDK_DEFAULT_REGION)",
    );
  }
  return stack;
}

/** Functions whose routes issue (tokens, credit credentials): limited together per address at the edge. */
const ISSUING_FUNCTIONS: readonly string[] = ["issue", "credential"];

/**
 * The edge firewall's stack, `blindgate-<stage>-edge`: a CLOUDFRONT-scope WAF web ACL must be created in
 * us-east-1, whatever the gateway's region; its ARN reaches the gateway stack as a cross-region reference.
 */
function addEdgeStack(app: App, config: StackConfig, env: Environment | undefined) {
  const name = `blindgate-${config.stage}-api`;
  const stack = new Stack(app, `blindgate-${config.stage}-edge`, {
    env: { ...(env?.account !== undefined ? { account: env.account } : {}), region: "us-east-1" },
    crossRegionReferences: true,
    description: `blindgate ${config.stage}: per-client rate limits of the API (AWS WAF, CloudFront scope)`,
    tags: { project: "blindgate", stage: config.stage },
  });
  const firewall = new ApiFirewall(stack, "Firewall", {
    name,
    limits: config.firewall,
    paths: {
      issue: Object.values(ROUTES)
        .filter((r) => ISSUING_FUNCTIONS.includes(r.fn))
        .map((r) => r.path),
      check: ROUTES.check.path,
      keyLog: ROUTES.keyLog.path,
    },
  });
  return { stack, firewall, name };
}
