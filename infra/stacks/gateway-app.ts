import type { App, Environment } from "aws-cdk-lib";
import { configFromContext, type GatewayConfigInput, parseStackConfig } from "../config.js";
import { GatewayStack } from "./gateway-stack.js";

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
  return new GatewayStack(app, `blindgate-${config.stage}`, {
    config,
    description: `blindgate age-verification gateway (${config.stage})`,
    ...(options.handlersDir !== undefined ? { handlersDir: options.handlersDir } : {}),
    ...(options.walletDir !== undefined ? { walletDir: options.walletDir } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
    tags: { project: "blindgate", stage: config.stage },
  });
}
