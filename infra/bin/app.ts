import { App } from "aws-cdk-lib";
import { addGatewayStack } from "../stacks/gateway-app.js";

/*
 * The CDK app (cdk.json: `npx tsx --conditions=blindgate-source infra/bin/app.ts`). Account and region come from
 * the CLI's profile when there is one; without credentials the stack synthesizes environment-agnostic, offline.
 */

const app = new App();
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
addGatewayStack(app, account !== undefined && region !== undefined ? { env: { account, region } } : {});
app.synth();
