import { type App, CfnOutput, type Environment, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { REPO_ROOT } from "../constructs/bundling.js";
import { EuAvProvider } from "../constructs/eu-av-provider.js";
import {
  type EuAvStackConfig,
  type EuAvStackConfigInput,
  euAvConfigFromContext,
  parseEuAvStackConfig,
} from "../eu-av-config.js";

/*
 * The EU age-verification provider as a stack of its own, `blindgate-eu-av-<stage>`: a provider is a separate
 * party from the gateway (its own account, ideally), registered with the gateway by its verify URL and JWKS.
 */

export interface EuAvStackProps extends StackProps {
  readonly config: EuAvStackConfig;
}

export class EuAvStack extends Stack {
  readonly provider: EuAvProvider;

  constructor(scope: Construct, id: string, props: EuAvStackProps) {
    super(scope, id, props);
    this.provider = new EuAvProvider(this, "EuAv", { config: props.config });
    const url = this.provider.publicUrl;
    new CfnOutput(this, "VerifyUrl", { value: `${url}/verify`, description: "Register with the gateway" });
    new CfnOutput(this, "JwksUrl", { value: `${url}/jwks.json`, description: "The grant key's public JWKS" });
    new CfnOutput(this, "SessionsTableName", { value: this.provider.table.tableName });
  }
}

export interface EuAvAppOptions {
  /** Values over the context's (tests). */
  readonly overrides?: Partial<EuAvStackConfigInput>;
  readonly env?: Environment;
}

/**
 * Add `blindgate-eu-av-<stage>` to an app when its context has `euAv` (or `overrides` are given); undefined
 * otherwise. A bad configuration throws ConfigError at synth, naming the field.
 */
export function addEuAvStack(app: App, options: EuAvAppOptions = {}): EuAvStack | undefined {
  const fromContext = euAvConfigFromContext((key) => app.node.tryGetContext(key));
  if (fromContext === undefined && options.overrides === undefined) return undefined;
  const config = parseEuAvStackConfig({ stage: "dev", ...fromContext, ...options.overrides }, REPO_ROOT);
  return new EuAvStack(app, `blindgate-eu-av-${config.stage}`, {
    config,
    description: `blindgate EU age-verification provider (${config.stage})`,
    ...(options.env !== undefined ? { env: options.env } : {}),
    tags: { project: "blindgate", stage: config.stage, component: "eu-av" },
  });
}
