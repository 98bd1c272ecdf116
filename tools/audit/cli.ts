import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { auditGateway, describeAudit } from "./audit.js";
import { auditStateDir, gatewayFileName, readMemory, writeMemory } from "./memory.js";

/*
 * `npm run audit -- <gateway URL> [options]`: audits a gateway from its public routes (audit.ts), prints each check
 * with its result and the verdict, and writes the result as JSON and what it saw (memory.ts) to files it names —
 * by default under $XDG_STATE_HOME/blindgate/audit (~/.local/state/...), never into the repository.
 * Exit code 0 on pass, 1 on fail, 2 on usage.
 */

const usage = `usage: npm run audit -- <gateway URL> [options]
  --out <file>             the result as JSON (default: <state dir>/audit-<host>-<day>.json)
  --memory <file>          what earlier runs saw, checked and then updated (default: <state dir>/<host>.json)
  --allow-fresh            accept a gateway that has published no report yet (a fresh local one)
  --expect-head <seq>:<hash>  a key-log head published elsewhere, to compare with (split views)
  --days <n>               closed days of reports to check (default 31)
  --min-epoch-hours <h>    shortest key epoch accepted (default 1)
state dir: $XDG_STATE_HOME/blindgate/audit or ~/.local/state/blindgate/audit`;

/**
 * The URL to fetch for a gateway URL: `*.localhost` names go to the loopback address, as browsers resolve them
 * (RFC 6761 §6.3), since Node's resolver does not — `npm start` prints such names for browsers. The gateway's
 * routes do not depend on the host name.
 */
export function reachableUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === "localhost" || parsed.hostname.endsWith(".localhost"))
    parsed.hostname = "127.0.0.1";
  return parsed.toString().replace(/\/+$/, "");
}

const repository = resolve(fileURLToPath(new URL("../..", import.meta.url)));

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      memory: { type: "string" },
      "allow-fresh": { type: "boolean" },
      "expect-head": { type: "string" },
      days: { type: "string" },
      "min-epoch-hours": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const given = positionals[0];
  if (values.help === true || given === undefined || !/^https?:\/\//.test(given)) {
    console.log(usage);
    return values.help === true ? 0 : 2;
  }
  const expect =
    values["expect-head"] === undefined ? undefined : /^(\d+):([0-9a-f]{64})$/.exec(values["expect-head"]);
  if (expect === null) {
    console.error("--expect-head: <seq>:<64 hex digits> (the key-log head another party saw)");
    return 2;
  }
  const url = reachableUrl(given);
  if (url !== given.replace(/\/+$/, ""))
    console.log(`(${new URL(given).host} is reached at ${url}, as browsers do)`);
  const stateDir = auditStateDir();
  const memoryFile = resolve(values.memory ?? join(stateDir, `${gatewayFileName(url)}.json`));
  const memory = await readMemory(memoryFile);
  if (memory !== undefined && memory.gateway !== url) {
    console.error(
      `${memoryFile} is the memory of ${memory.gateway}, not of ${url}: give another --memory file`,
    );
    return 2;
  }
  const result = await auditGateway(url, {
    ...(values.days !== undefined ? { days: Number(values.days) } : {}),
    ...(values["min-epoch-hours"] !== undefined
      ? { minEpochSeconds: Number(values["min-epoch-hours"]) * 3600 }
      : {}),
    ...(values["allow-fresh"] === true ? { allowFresh: true } : {}),
    ...(memory !== undefined ? { memory } : {}),
    ...(expect !== undefined ? { expectHead: { seq: Number(expect[1]), hash: expect[2] as string } } : {}),
  });
  const out = resolve(
    values.out ?? join(stateDir, `audit-${gatewayFileName(url)}-${result.at.slice(0, 10)}.json`),
  );
  if (values.out === undefined && out.startsWith(`${repository}/`)) {
    // XDG_STATE_HOME inside a checkout: results and memories are not the project's files.
    console.error(`${out} is inside the repository: give --out and --memory elsewhere`);
    return 2;
  }
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(describeAudit(result));
  console.log(`\nresult written: ${out}`);
  if (result.keyLogHead === undefined) {
    console.log(`memory not written: nothing was read (${memoryFile})`);
  } else if (result.findings.some((f) => f.code === "history-rewritten")) {
    // Keep what was seen before: the next run must fail the same way, not learn the rewritten history.
    console.log(`memory kept as it was: ${memoryFile}`);
  } else {
    await writeMemory(memoryFile, result.memory);
    console.log(
      `memory ${memory === undefined ? "started" : "updated"}: ${memoryFile} (the next run checks against it)`,
    );
  }
  return result.verdict === "pass" ? 0 : 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(2);
    },
  );
}
