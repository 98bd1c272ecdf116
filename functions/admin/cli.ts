import { vaultFromEnv } from "../issuer/vault-from-env.js";
import { depsFromEnv, dynamoClient } from "../runtime.js";
import { DynamoProviderSettings } from "../stores/dynamo/provider-settings.js";
import { parseCommandLine, runCommand, USAGE } from "./commands.js";
import { AdminError } from "./operations.js";
import { resolveSettings } from "./settings.js";

/*
 * `npm run admin -- <area> <command>`: finds the gateway by itself (settings.ts: the environment, a stack's
 * outputs file, or the state file of `npm start`), then runs the command (commands.ts). Exit codes: 0 done,
 * 1 refused or failed (the message says why), 2 usage.
 */

async function main(argv: string[]): Promise<number> {
  // The AWS SDK's notice about Node 20 is for Lambda operators (Lambda runs Node 22), not for each admin command.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { positionals, values } = parseCommandLine(argv);
  if (values.help === true || positionals.length === 0) {
    console.log(USAGE);
    return values.help === true ? 0 : 2;
  }
  const settings = await resolveSettings({
    env: process.env,
    outputsFile: values.outputs,
    stack: values.stack,
  });
  // Which gateway a command changes, on stderr so --json output stays one document; `where` says it itself.
  if (positionals[0] !== "where") console.error(`gateway: ${settings.source}`);
  if (process.env.AWS_REGION === undefined && settings.region !== undefined) {
    process.env.AWS_REGION = settings.region;
  }
  let deps: Awaited<ReturnType<typeof depsFromEnv>>;
  try {
    deps = await depsFromEnv(settings.env, vaultFromEnv);
  } catch (error) {
    throw new AdminError(`${(error as Error).message} (settings from ${settings.source})`);
  }
  const providerSettings = new DynamoProviderSettings(
    dynamoClient(deps.config.dynamoEndpoint),
    deps.config.tables.providers,
  );
  return runCommand(
    argv,
    { deps, providerSettings, source: settings.source, gatewayUrl: settings.gatewayUrl },
    { out: (line) => console.log(line) },
  );
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof AdminError || error instanceof SyntaxError) {
      console.error(error.message);
    } else if (
      error instanceof Error &&
      error.name === "StoreError" &&
      error.cause instanceof Error &&
      error.cause.name === "CredentialsProviderError"
    ) {
      // The gateway's AWS client reads credentials from the environment only, as the functions do on Lambda.
      console.error(
        'no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): with a profile or SSO, run eval "$(aws configure export-credentials --format env)" first',
      );
    } else if (error instanceof Error && error.name === "StoreError") {
      console.error(
        "the gateway's DynamoDB did not answer: is the local gateway running (npm start), or are your AWS credentials and region set?",
      );
    } else {
      console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
    process.exit(1);
  },
);
