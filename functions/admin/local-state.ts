import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import * as z from "zod/mini";
import { configToEnv, type GatewayConfig } from "../config.js";

/*
 * The local gateway's state file: what `npm start` tells `npm run admin` so the CLI finds the gateway by itself.
 * It holds the functions' environment (DynamoDB endpoint, table names, issuer name and URL, key windows) and the
 * path of the local master-key file — a path, never a key: nothing in it is secret. Written with mode 0600 next to
 * the master key (~/.config/blindgate/local-state.json, or $XDG_CONFIG_HOME/blindgate/), removed when the gateway
 * stops; the pid tells a CLI whether the gateway that wrote it still runs.
 */

/** Where the state file lives (BLINDGATE_LOCAL_STATE overrides). */
export function localStateFile(env: Record<string, string | undefined> = process.env): string {
  if (env.BLINDGATE_LOCAL_STATE !== undefined && env.BLINDGATE_LOCAL_STATE !== "") {
    return env.BLINDGATE_LOCAL_STATE;
  }
  const base = env.XDG_CONFIG_HOME ?? join(homedir(), ".config");
  return join(base, "blindgate", "local-state.json");
}

const stateSchema = z.strictObject({
  version: z.literal(1),
  pid: z.int(),
  startedAt: z.iso.datetime(),
  gatewayUrl: z.url(),
  env: z.record(z.string().check(z.regex(/^BLINDGATE_[A-Z0-9_]+$/)), z.string()),
});
export type LocalState = z.infer<typeof stateSchema>;

/**
 * Write the state file of a running local gateway (functions/local/start.ts calls this once it listens).
 *
 * @example
 * ```ts
 * await writeLocalState({ config: gateway.config, gatewayUrl: gateway.localUrl });
 * ```
 */
export async function writeLocalState(input: {
  config: GatewayConfig;
  gatewayUrl: string;
  file?: string;
  pid?: number;
}): Promise<string> {
  const file = input.file ?? localStateFile();
  const state: LocalState = {
    version: 1,
    pid: input.pid ?? process.pid,
    startedAt: new Date().toISOString(),
    gatewayUrl: input.gatewayUrl,
    env: configToEnv(input.config),
  };
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

/** Remove the state file if this process wrote it (on stop). */
export async function removeLocalState(file = localStateFile(), pid = process.pid): Promise<void> {
  const state = await readLocalState(file).catch(() => undefined);
  if (state?.pid === pid) await rm(file, { force: true });
}

/** The state file, or undefined when there is none. Throws an Error naming the file when it does not parse. */
export async function readLocalState(file = localStateFile()): Promise<LocalState | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`${file}: cannot be read`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${file}: not JSON (delete it; npm start writes it again)`);
  }
  const result = stateSchema.safeParse(parsed);
  if (!result.success)
    throw new Error(`${file}: not a blindgate state file (delete it; npm start writes it again)`);
  return result.data;
}

/** Whether the process that wrote the state still runs. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
