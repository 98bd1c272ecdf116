import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import type { KeyLogEntry, ReportAnswer } from "@blindgate/sdk/protocol";
import * as z from "zod/mini";

/*
 * What the auditor keeps between runs: the key log's head and each day's report hash as it saw them. A gateway can
 * rewrite its whole history consistently — re-chain the key log, re-sign every report with its own report key —
 * and a one-off audit of the result passes; only a party that kept what it saw before can tell. The key log is
 * append-only, so the head seen before must still be the entry at that seq; a sealed day never changes, so its hash
 * must be the same. Kept as a small JSON file per gateway, outside the repository by default.
 */

export interface KeyLogHead {
  readonly seq: number;
  readonly hash: string;
}

const hex64 = z.string().check(z.regex(/^[0-9a-f]{64}$/));
const memorySchema = z.strictObject({
  version: z.literal(1),
  gateway: z.string(),
  updatedAt: z.string(),
  keyLogHead: z.optional(z.strictObject({ seq: z.int().check(z.minimum(0)), hash: hex64 })),
  reports: z.record(z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/)), hex64),
});

export interface AuditMemory {
  readonly version: 1;
  /** The gateway it is about (one file per gateway). */
  readonly gateway: string;
  readonly updatedAt: string;
  readonly keyLogHead: KeyLogHead | undefined;
  /** Day (YYYY-MM-DD) → the report's hash, as first seen. */
  readonly reports: Readonly<Record<string, string>>;
}

/** Where the auditor keeps its files by default: $XDG_STATE_HOME/blindgate/audit, or ~/.local/state/blindgate/audit. */
export function auditStateDir(env: Record<string, string | undefined> = process.env): string {
  return join(env.XDG_STATE_HOME ?? join(homedir(), ".local", "state"), "blindgate", "audit");
}

/** A file name for a gateway: its host and port, nothing else. */
export function gatewayFileName(gatewayUrl: string): string {
  return new URL(gatewayUrl).host.replace(/[^a-z0-9.-]/gi, "_");
}

/** The memory in `file`, or undefined when there is none yet. Throws an Error naming the file when it is not one. */
export async function readMemory(file: string): Promise<AuditMemory | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`${file}: cannot be read`);
  }
  let parsed: ReturnType<typeof memorySchema.safeParse>;
  try {
    parsed = memorySchema.safeParse(JSON.parse(text));
  } catch {
    throw new Error(`${file}: not JSON, so not an audit memory`);
  }
  if (!parsed.success) throw new Error(`${file}: not an audit memory file`);
  return { ...parsed.data, keyLogHead: parsed.data.keyLogHead };
}

/** Write the memory (whole file replaced at once: a crash never leaves half of it). */
export async function writeMemory(file: string, memory: AuditMemory): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(memory, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

/** What the gateway serves now that contradicts what was seen before. */
export function compareWithMemory(
  memory: AuditMemory,
  entries: readonly KeyLogEntry[],
  reports: ReadonlyMap<string, ReportAnswer>,
): { message: string; subject: string }[] {
  const problems: { message: string; subject: string }[] = [];
  const head = memory.keyLogHead;
  if (head !== undefined) {
    const now = entries[head.seq];
    if (now === undefined) {
      problems.push({
        subject: "key-log",
        message: `the key log was ${head.seq + 1} entries or more on ${memory.updatedAt}; it is ${entries.length} now: it was truncated`,
      });
    } else if (now.hash !== head.hash) {
      problems.push({
        subject: "key-log",
        message: `the key-log entry ${head.seq} hashed to ${head.hash} on ${memory.updatedAt}; it hashes to ${now.hash} now: the log was rewritten`,
      });
    }
  }
  for (const [day, hash] of Object.entries(memory.reports)) {
    const answer = reports.get(day);
    if (answer === undefined) {
      problems.push({ subject: day, message: `the report of ${day}, seen before, is not served any more` });
    } else if (answer.hash !== hash) {
      problems.push({
        subject: day,
        message: `the report of ${day} hashed to ${hash} when first seen; it hashes to ${answer.hash} now: the day was rewritten`,
      });
    }
  }
  return problems;
}
