import { chmod, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import * as z from "zod/mini";
import { configToEnv, type GatewayConfig } from "../config.js";

/*
 * The local gateway's state file: what `npm start` tells `npm run admin` so the CLI finds the gateway by itself.
 * It holds the functions' environment (DynamoDB endpoint, table names, issuer name and URL, key windows) and the
 * path of the local master-key file — a path, never a key: nothing in it is secret. Written with mode 0600 next to
 * the master key, one file per port (~/.config/blindgate/local-state-<port>.json, or under $XDG_CONFIG_HOME),
 * removed when the gateway stops; the pid tells a CLI whether the gateway that wrote it still runs.
 */

/** The port `npm start` takes when BLINDGATE_PORT is not set. */
export const DEFAULT_LOCAL_PORT = 8787;

/** The folder of the state files (and of the local master key): $XDG_CONFIG_HOME/blindgate or ~/.config/blindgate. */
export function localStateDir(env: Record<string, string | undefined> = process.env): string {
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "blindgate");
}

const STATE_NAME = /^local-state-(\d{1,5})\.json$/;

/**
 * Where the state file of the gateway on `port` lives: one file per port, so two `npm start`s on one machine
 * (BLINDGATE_PORT apart) never overwrite each other's and the CLI can tell them apart. BLINDGATE_LOCAL_STATE names
 * the file outright.
 */
export function localStateFile(
  env: Record<string, string | undefined> = process.env,
  port: number = Number(env.BLINDGATE_PORT ?? DEFAULT_LOCAL_PORT),
): string {
  if (env.BLINDGATE_LOCAL_STATE !== undefined && env.BLINDGATE_LOCAL_STATE !== "") {
    return env.BLINDGATE_LOCAL_STATE;
  }
  return join(localStateDir(env), `local-state-${port}.json`);
}

/** A state file found in {@link localStateDir}, with whether its gateway still runs. */
export interface FoundLocalState {
  readonly file: string;
  readonly state: LocalState;
  readonly running: boolean;
}

/** Every readable per-port state file in {@link localStateDir}, lowest port first. */
export async function findLocalStates(
  env: Record<string, string | undefined> = process.env,
): Promise<FoundLocalState[]> {
  const dir = localStateDir(env);
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: FoundLocalState[] = [];
  for (const name of names.filter((n) => STATE_NAME.test(n)).sort(byPort)) {
    const file = join(dir, name);
    const state = await readLocalState(file).catch(() => undefined);
    if (state !== undefined) found.push({ file, state, running: isRunning(state.pid) });
  }
  return found;
}

const byPort = (a: string, b: string) => Number(STATE_NAME.exec(a)?.[1]) - Number(STATE_NAME.exec(b)?.[1]);

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
