import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { TABLE_IDS, TABLES } from "../stores/schema.js";
import {
  type FoundLocalState,
  findLocalStates,
  isRunning,
  type LocalState,
  localStateDir,
  localStateFile,
  readLocalState,
} from "./local-state.js";
import { AdminError } from "./operations.js";

/*
 * Where `npm run admin` finds the gateway it administers, first match wins:
 *
 *   1. the environment, when it names any table (BLINDGATE_TABLE_*): the functions' own variables;
 *   2. a deployed stack's outputs, from the JSON file `cdk deploy --outputs-file <file>` writes (--outputs <file>,
 *      BLINDGATE_CDK_OUTPUTS, or ./cdk-outputs.json): its AdminEnv output is the functions' environment;
 *   3. the state file of a local gateway `npm start` runs (functions/admin/local-state.ts): the one named by
 *      BLINDGATE_LOCAL_STATE or BLINDGATE_PORT, else the only one running; with several running it names them all
 *      and how to pick one rather than guess (an admin command changes the gateway it talks to).
 *
 * Why an outputs file and not CloudFormation DescribeStacks: it needs no new dependency (no AWS SDK client beside
 * the DynamoDB and KMS ones, no lock-file change), works where the operator deployed from, and is the same data
 * (the stack's outputs). `aws cloudformation describe-stacks --query "Stacks[0].Outputs"` turned into that file
 * shape works too.
 */

/** The environment the CLI runs on, and where it came from (printed by `npm run admin -- where`). */
export interface AdminSettings {
  readonly env: Record<string, string>;
  readonly source: string;
  /** The gateway's URL, when known (local state, stack output ApiUrl). */
  readonly gatewayUrl: string | undefined;
  /** The AWS region of a stack (from its KMS key's ARN), for AWS_REGION when that is not set. */
  readonly region?: string | undefined;
}

const TABLE_VARIABLES = TABLE_IDS.map((id) => TABLES[id].env);
const REQUIRED = ["BLINDGATE_ISSUER_NAME", "BLINDGATE_ISSUER_URL", ...TABLE_VARIABLES];

/** The variables a gateway's settings lack (a key vault counts as one: KMS key or local master-key file). */
export function missingSettings(env: Record<string, string | undefined>): string[] {
  const missing = REQUIRED.filter((name) => (env[name] ?? "") === "");
  if ((env.BLINDGATE_KMS_KEY_ID ?? "") === "" && (env.BLINDGATE_DATA_KEY_FILE ?? "") === "") {
    missing.push("BLINDGATE_KMS_KEY_ID (AWS) or BLINDGATE_DATA_KEY_FILE (local)");
  }
  return missing;
}

const HOW =
  "set them in the environment, or give a deployed stack's outputs with --outputs <file> (written by " +
  "`cdk deploy --outputs-file <file>`), or start the local gateway with `npm start` in another terminal";

/**
 * Resolve the CLI's settings. Throws AdminError naming every missing variable and how to set it.
 *
 * @example
 * ```ts
 * const { env, source } = await resolveSettings({ env: process.env });
 * ```
 */
export async function resolveSettings(options: {
  env: Record<string, string | undefined>;
  outputsFile?: string | undefined;
  stack?: string | undefined;
  cwd?: string;
}): Promise<AdminSettings> {
  const { env } = options;
  const fromEnv = Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] => e[0].startsWith("BLINDGATE_") && e[1] !== undefined,
    ),
  );
  let settings: AdminSettings | undefined;
  if (TABLE_VARIABLES.some((name) => (env[name] ?? "") !== "")) {
    settings = { env: fromEnv, source: "environment (BLINDGATE_*)", gatewayUrl: env.BLINDGATE_ISSUER_URL };
  }
  const outputsFile =
    options.outputsFile ??
    env.BLINDGATE_CDK_OUTPUTS ??
    (existsSync(resolve(options.cwd ?? ".", "cdk-outputs.json")) ? "cdk-outputs.json" : undefined);
  if (settings === undefined && outputsFile !== undefined) {
    settings = await fromOutputs(
      resolve(options.cwd ?? ".", outputsFile),
      options.stack ?? env.BLINDGATE_STACK,
    );
  }
  if (settings === undefined) settings = await fromLocalState(env, fromEnv);
  const found = settings ?? { env: fromEnv, source: "environment", gatewayUrl: undefined };
  const missing = missingSettings(found.env);
  if (missing.length > 0) {
    throw new AdminError(
      `no gateway to administer: missing ${missing.join(", ")} (from ${found.source}); ${HOW} (a running ` +
        `\`npm start\` is found through its state file in ${localStateDir(env)}/, or the file BLINDGATE_LOCAL_STATE names)`,
    );
  }
  return found;
}

/** The AdminEnv output of a stack in a `cdk deploy --outputs-file` JSON file. */
async function fromOutputs(file: string, stack: string | undefined): Promise<AdminSettings> {
  let outputs: Record<string, Record<string, string>>;
  try {
    outputs = JSON.parse(await readFile(file, "utf8")) as Record<string, Record<string, string>>;
  } catch {
    throw new AdminError(`${file}: cannot be read as the JSON of \`cdk deploy --outputs-file\``);
  }
  const stacks = Object.keys(outputs).filter((name) => typeof outputs[name]?.AdminEnv === "string");
  const name = stack ?? (stacks.length === 1 ? stacks[0] : undefined);
  if (name === undefined || !stacks.includes(name)) {
    throw new AdminError(
      stacks.length === 0
        ? `${file}: no stack with an AdminEnv output (deploy the gateway stack with --outputs-file)`
        : `${file}: name the stack with --stack or BLINDGATE_STACK (one of ${stacks.join(", ")})`,
    );
  }
  const out = outputs[name] as Record<string, string>;
  const parsed: Record<string, string> = {};
  for (const pair of (out.AdminEnv as string).split(/\s+/)) {
    const eq = pair.indexOf("=");
    if (eq > 0) parsed[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  // The DynamoDB and KMS clients need a region: the one in the KMS key's ARN.
  const region = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(parsed.BLINDGATE_KMS_KEY_ID ?? "")?.[1];
  return { env: parsed, source: `stack ${name} (outputs file ${file})`, gatewayUrl: out.ApiUrl, region };
}

const portOf = (state: LocalState) => new URL(state.gatewayUrl).port || "80";

/** The settings of a running `npm start`, or undefined when there is none to find. */
async function fromLocalState(
  env: Record<string, string | undefined>,
  fromEnv: Record<string, string>,
): Promise<AdminSettings | undefined> {
  const settingsOf = (found: FoundLocalState, others: readonly FoundLocalState[]): AdminSettings => {
    const pick =
      others.length === 0
        ? "another one: BLINDGATE_PORT=<its port> or BLINDGATE_LOCAL_STATE=<its state file>"
        : `others running: ${others.map((o) => `BLINDGATE_PORT=${portOf(o.state)}`).join(", ")}`;
    return {
      env: { ...found.state.env, ...fromEnv },
      source: `local gateway ${found.state.gatewayUrl} (npm start, pid ${found.state.pid}, state file ${found.file}; ${pick})`,
      gatewayUrl: found.state.gatewayUrl,
    };
  };
  const named = (env.BLINDGATE_LOCAL_STATE ?? "") !== "" || (env.BLINDGATE_PORT ?? "") !== "";
  if (named) {
    const file = localStateFile(env);
    const state = await readLocalState(file).catch((error: unknown) => {
      throw new AdminError((error as Error).message);
    });
    if (state === undefined) return undefined;
    if (!isRunning(state.pid)) {
      throw new AdminError(
        `the local gateway that wrote ${file} (pid ${state.pid}) is not running: start it with \`npm start\``,
      );
    }
    return settingsOf({ file, state, running: true }, []);
  }
  const all = await findLocalStates(env);
  const running = all.filter((f) => f.running);
  if (running.length > 1) {
    throw new AdminError(
      `${running.length} local gateways are running: ${running
        .map((f) => `${f.state.gatewayUrl} (BLINDGATE_PORT=${portOf(f.state)})`)
        .join(
          ", ",
        )}; pick one: BLINDGATE_PORT=<port> npm run admin -- ... (or BLINDGATE_LOCAL_STATE=<state file>)`,
    );
  }
  const only = running[0];
  if (only !== undefined) return settingsOf(only, []);
  const stopped = all[0];
  if (stopped !== undefined) {
    throw new AdminError(
      `the local gateway that wrote ${stopped.file} (pid ${stopped.state.pid}) is not running: start it with \`npm start\``,
    );
  }
  return undefined;
}
