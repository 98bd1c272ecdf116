import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { auditGateway, describeAudit } from "./audit.js";

/*
 * `npm run audit -- <gateway URL> [--out <file>] [--days <n>] [--min-epoch-hours <h>]`: audits a gateway from its
 * public routes (audit.ts), prints the verdict in words and writes it as JSON (default audit-<host>-<day>.json).
 * Exit code 0 on pass, 1 on fail, 2 on usage.
 */

const usage = "usage: npm run audit -- <gateway URL> [--out <file>] [--days <n>] [--min-epoch-hours <h>]";

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      days: { type: "string" },
      "min-epoch-hours": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const url = positionals[0];
  if (values.help === true || url === undefined || !/^https?:\/\//.test(url)) {
    console.log(usage);
    return values.help === true ? 0 : 2;
  }
  const result = await auditGateway(url, {
    ...(values.days !== undefined ? { days: Number(values.days) } : {}),
    ...(values["min-epoch-hours"] !== undefined
      ? { minEpochSeconds: Number(values["min-epoch-hours"]) * 3600 }
      : {}),
  });
  const out =
    values.out ?? `audit-${new URL(url).host.replace(/[^a-z0-9.-]/gi, "_")}-${result.at.slice(0, 10)}.json`;
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(describeAudit(result));
  console.log(`written: ${out}`);
  return result.verdict === "pass" ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
