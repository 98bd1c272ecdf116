import { App } from "aws-cdk-lib";
import { addEuAvStack } from "../stacks/eu-av-stack.js";
import { addGatewayStack } from "../stacks/gateway-app.js";

/*
 * The CDK app (cdk.json: `npx tsx --conditions=blindgate-source infra/bin/app.ts`). Account and region come from
 * the CLI's profile when there is one; without credentials the stack synthesizes environment-agnostic, offline
 * (then without the edge firewall, which needs the region: the synth says so).
 */

const app = new App();
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
// The region alone is enough for the edge firewall's cross-region reference and the multi-region tables.
addGatewayStack(
  app,
  region !== undefined ? { env: { ...(account !== undefined ? { account } : {}), region } } : {},
);
// The EU age-verification provider, only when the context configures it (`euAv`, docs/provider-guide.md).
addEuAvStack(
  app,
  region !== undefined ? { env: { ...(account !== undefined ? { account } : {}), region } } : {},
);
app.synth();
