import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { keyState } from "../issuer/key-state.js";
import { rotateKeys } from "../issuer/rotation.js";
import type { Deps } from "../runtime.js";
import { ensureReportKey, reportFor } from "../services/report.js";
import type { ProviderSettingsStore } from "../stores/index.js";
import {
  AdminError,
  addProvider,
  addSite,
  parseBandRights,
  setProviderBands,
  setProviderMaxThreshold,
  setProviderQuota,
  setProviderStatus,
  setSiteStatus,
} from "./operations.js";

/*
 * The admin commands, apart from where their settings come from (cli.ts, settings.ts), so tests run them on a
 * local gateway in-process. Every command says what it did, in words, or as one JSON document with --json.
 */

export const USAGE = `usage: npm run admin -- <area> <command> [options] [--json]
  where                                      which gateway the CLI talks to, and from what settings
  provider add --name <name> --verify-url <url> --jwks <file> [--id <id>] [--quota <n>] [--max-threshold <age>]
               [--bands <13-16,16-18,13-18>] [--band-quota <band grants per month>] [--name-fr <French name>]
  provider list
  provider suspend|activate --id <id>
  provider set-quota --id <id> --quota <tokens per month>
  provider set-max-threshold --id <id> --threshold <age>
  provider set-bands --id <id> --bands <13-16,...|none> [--band-quota <n>]   who may vouch for minors
  site add --name <name>                     prints the site's API key once
  site list
  site suspend|activate --id <id>
  keys list                                  every key: kind, threshold, state, dates (UTC)
  keys rotate                                what the scheduled rotate-keys function does
  report init                                create and announce the report key (reports start that day)
  report show --day <YYYY-MM-DD>             a closed day's transparency report

Settings (first found): BLINDGATE_* variables; --outputs <file> from \`cdk deploy --outputs-file\` [--stack <name>];
the state file of \`npm start\`.`;

/** What a command needs: the gateway's stores and keys, and the provider settings store. */
export interface AdminContext {
  readonly deps: Deps;
  readonly providerSettings: ProviderSettingsStore;
  /** Where the settings came from (for `where`). */
  readonly source: string;
  readonly gatewayUrl: string | undefined;
}

/** Where the output goes (process.stdout in the CLI, an array in tests). */
export interface AdminOutput {
  out(line: string): void;
}

/** ", and bands 13-16, 16-18" when the provider may vouch for minors. */
function bandWords(p: {
  bands?: readonly string[] | undefined;
  monthlyBandQuota?: number | undefined;
}): string {
  if (p.bands === undefined || p.bands.length === 0) return "";
  const quota = p.monthlyBandQuota === undefined ? "" : ` (${p.monthlyBandQuota} band grants a month)`;
  return `, and bands ${p.bands.join(", ")}${quota}`;
}

const iso = (t: number) => new Date(t * 1000).toISOString().replace(".000Z", "Z");

/** Options every command line may carry (parsed once, by the CLI and by {@link runCommand}). */
export const OPTIONS = {
  name: { type: "string" },
  "name-fr": { type: "string" },
  id: { type: "string" },
  "verify-url": { type: "string" },
  jwks: { type: "string" },
  quota: { type: "string" },
  threshold: { type: "string" },
  "max-threshold": { type: "string" },
  bands: { type: "string" },
  "band-quota": { type: "string" },
  day: { type: "string" },
  outputs: { type: "string" },
  stack: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Parse a command line (AdminError on an unknown option). */
export function parseCommandLine(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
  } catch (error) {
    throw new AdminError(`${(error as Error).message}\n${USAGE}`);
  }
}

/**
 * Run one admin command. Returns the exit code; throws AdminError for a refusal (the CLI prints its message).
 *
 * @example
 * ```ts
 * await runCommand(["provider", "set-quota", "--id", "acme", "--quota", "5000"], ctx, { out: console.log });
 * ```
 */
export async function runCommand(
  argv: readonly string[],
  ctx: AdminContext,
  io: AdminOutput,
): Promise<number> {
  const { positionals, values } = parseCommandLine(argv);
  const [area, command] = positionals;
  const json = values.json === true;
  /** One answer: the words, or the JSON document. */
  const say = (words: string, data: unknown) => io.out(json ? JSON.stringify(data, null, 2) : words);
  const need = (name: keyof typeof values): string => {
    const v = values[name];
    if (typeof v !== "string" || v.length === 0) throw new AdminError(`--${name} is required`);
    return v;
  };
  const integer = (name: "quota" | "threshold" | "max-threshold" | "band-quota"): number => {
    const text = need(name);
    if (!/^\d{1,13}$/.test(text)) throw new AdminError(`--${name} must be a whole number`);
    return Number(text);
  };
  const { stores } = ctx.deps;
  const now = ctx.deps.now();

  switch (`${area ?? ""} ${command ?? ""}`.trim()) {
    case "where": {
      const { config } = ctx.deps;
      say(
        [
          `gateway  ${ctx.gatewayUrl ?? config.issuerUrl}`,
          `issuer   ${config.issuerName}`,
          `settings ${ctx.source}`,
          `store    ${config.dynamoEndpoint ?? "DynamoDB (AWS)"}`,
          `tables   ${Object.values(config.tables).join(", ")}`,
          `keys     ${config.kmsKeyId !== undefined ? `KMS ${config.kmsKeyId}` : `local master key ${config.dataKeyFile}`}`,
        ].join("\n"),
        {
          gatewayUrl: ctx.gatewayUrl ?? config.issuerUrl,
          issuerName: config.issuerName,
          source: ctx.source,
          dynamoEndpoint: config.dynamoEndpoint ?? null,
          tables: config.tables,
          kmsKeyId: config.kmsKeyId ?? null,
          dataKeyFile: config.dataKeyFile ?? null,
        },
      );
      return 0;
    }
    case "provider add": {
      const jwks: unknown = await readFile(need("jwks"), "utf8").then(
        (text) => JSON.parse(text),
        () => {
          throw new AdminError(`--jwks: ${values.jwks} cannot be read`);
        },
      );
      const p = await addProvider(
        stores,
        {
          name: need("name"),
          ...(values["name-fr"] !== undefined ? { names: { fr: values["name-fr"] } } : {}),
          verifyUrl: need("verify-url"),
          jwks: jwks as { keys: never[] },
          ...(values.id !== undefined ? { id: values.id } : {}),
          ...(values.quota !== undefined ? { monthlyQuota: integer("quota") } : {}),
          ...(values["max-threshold"] !== undefined ? { maxThreshold: integer("max-threshold") } : {}),
          ...(values.bands !== undefined ? { bands: parseBandRights(values.bands) } : {}),
          ...(values["band-quota"] !== undefined ? { monthlyBandQuota: integer("band-quota") } : {}),
        },
        now,
      );
      const shown = {
        id: p.id,
        name: p.name,
        ...(p.names === undefined ? {} : { names: p.names }),
        verifyUrl: p.verifyUrl,
        status: p.status,
        monthlyQuota: p.monthlyQuota,
        maxThreshold: p.maxThreshold,
        ...(p.bands === undefined ? {} : { bands: p.bands }),
        ...(p.monthlyBandQuota === undefined ? {} : { monthlyBandQuota: p.monthlyBandQuota }),
      };
      say(
        `added provider ${p.id} (${p.name}): active, quota ${p.monthlyQuota} tokens a month, attests ages up to ${p.maxThreshold}${bandWords(p)}`,
        { action: "provider added", provider: shown },
      );
      return 0;
    }
    case "provider list": {
      const providers = (await stores.providers.list()).sort((a, b) => a.id.localeCompare(b.id));
      const month = new Date(now * 1000).toISOString().slice(0, 7);
      const rows = await Promise.all(
        providers.map(async (p) => ({
          id: p.id,
          name: p.name,
          status: p.status,
          monthlyQuota: p.monthlyQuota,
          usedThisMonth: await stores.providers.usage(p.id, month),
          maxThreshold: p.maxThreshold,
          bands: p.bands ?? [],
          ...(p.monthlyBandQuota === undefined ? {} : { monthlyBandQuota: p.monthlyBandQuota }),
          verifyUrl: p.verifyUrl,
        })),
      );
      say(
        rows.length === 0
          ? "no providers"
          : rows
              .map(
                (p) =>
                  `${p.id}  ${p.status}  ${p.usedThisMonth}/${p.monthlyQuota} tokens in ${month}  ages up to ${p.maxThreshold}${p.bands.length === 0 ? "" : `  bands ${p.bands.join(",")}`}  ${p.name}`,
              )
              .join("\n"),
        { providers: rows },
      );
      return 0;
    }
    case "provider suspend":
    case "provider activate": {
      const id = need("id");
      const status = command === "suspend" ? "suspended" : "active";
      await setProviderStatus(stores, id, status);
      say(
        `provider ${id} is now ${status}${status === "suspended" ? ": its grants are refused from now on" : ""}`,
        { action: `provider ${status}`, id, status },
      );
      return 0;
    }
    case "provider set-quota": {
      const id = need("id");
      const quota = integer("quota");
      await setProviderQuota(ctx.providerSettings, id, quota);
      say(`provider ${id}: monthly quota set to ${quota} tokens (this month's usage is kept)`, {
        action: "provider quota set",
        id,
        monthlyQuota: quota,
      });
      return 0;
    }
    case "provider set-bands": {
      const id = need("id");
      const quota = values["band-quota"] !== undefined ? integer("band-quota") : undefined;
      const bands = await setProviderBands(ctx.providerSettings, id, need("bands"), quota);
      say(
        bands.length === 0
          ? `provider ${id}: may attest no band (its grants stating an upper age are refused)`
          : `provider ${id}: may attest bands ${bands.join(", ")}${quota === undefined ? "" : `, ${quota} band grants a month`}`,
        {
          action: "provider bands set",
          id,
          bands,
          ...(quota === undefined ? {} : { monthlyBandQuota: quota }),
        },
      );
      return 0;
    }
    case "provider set-max-threshold": {
      const id = need("id");
      const threshold = integer("threshold");
      await setProviderMaxThreshold(ctx.providerSettings, id, threshold);
      say(`provider ${id}: may attest ages up to ${threshold}`, {
        action: "provider max threshold set",
        id,
        maxThreshold: threshold,
      });
      return 0;
    }
    case "site add": {
      const { site, apiKey } = await addSite(stores, { name: need("name") }, now);
      say(
        `added site ${site.id} (${site.name})\nAPI key (shown once, store it in the site's secrets): ${apiKey}`,
        { action: "site added", site: { id: site.id, name: site.name, status: site.status }, apiKey },
      );
      return 0;
    }
    case "site list": {
      const sites = (await stores.sites.list())
        .map((s) => ({ id: s.id, name: s.name, status: s.status }))
        .sort((a, b) => a.id.localeCompare(b.id));
      say(sites.length === 0 ? "no sites" : sites.map((s) => `${s.id}  ${s.status}  ${s.name}`).join("\n"), {
        sites,
      });
      return 0;
    }
    case "site suspend":
    case "site activate": {
      const id = need("id");
      const status = command === "suspend" ? "suspended" : "active";
      await setSiteStatus(stores, id, status);
      say(`site ${id} is now ${status}`, { action: `site ${status}`, id, status });
      return 0;
    }
    case "keys list": {
      const keys = (await stores.keys.list())
        .map((k) => ({
          kind: k.kind,
          threshold: k.threshold,
          ...(k.ageBelow === undefined ? {} : { ageBelow: k.ageBelow }),
          state: keyState(k, now),
          keyId: k.id,
          publishAt: iso(k.publishAt),
          notBefore: iso(k.notBefore),
          issueUntil: iso(k.issueUntil),
          validUntil: iso(k.validUntil),
        }))
        .sort(
          (a, b) =>
            a.kind.localeCompare(b.kind) ||
            a.threshold - b.threshold ||
            (a.ageBelow ?? 0) - (b.ageBelow ?? 0) ||
            a.notBefore.localeCompare(b.notBefore),
        );
      const lines = keys.map(
        (k) =>
          `${k.kind.padEnd(6)} ${(k.ageBelow === undefined ? String(k.threshold) : `${k.threshold}–${k.ageBelow - 1}`).padStart(5)}  ${k.state.padEnd(8)} ${k.keyId.slice(0, 16)}  issues ${k.notBefore} → ${k.issueUntil}  valid until ${k.validUntil}`,
      );
      say(
        keys.length === 0
          ? "no keys (run: npm run admin -- keys rotate)"
          : [`kind     age  state    key id            windows (UTC)`, ...lines].join("\n"),
        { now: iso(now), keys },
      );
      return 0;
    }
    case "keys rotate": {
      const report = await rotateKeys(ctx.deps);
      say(
        report.skipped
          ? "another rotation is running: nothing done"
          : `rotation: ${report.created.length} key(s) created, ${report.logged.length} event(s) logged, ${report.removed.length} expired key(s) removed`,
        { action: "keys rotated", ...report },
      );
      return 0;
    }
    case "report init": {
      const key = await ensureReportKey(ctx.deps, now);
      say(`report key ${key.id.slice(0, 16)}… announced in the key log; reports start on ${key.firstDay}`, {
        action: "report key ready",
        keyId: key.id,
        firstDay: key.firstDay,
      });
      return 0;
    }
    case "report show": {
      const day = need("day");
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new AdminError("--day must be YYYY-MM-DD");
      const answer = await reportFor(ctx.deps, day, now);
      if (answer === undefined) {
        throw new AdminError(`no report for ${day}: the day is not over, or is before the first report`);
      }
      const r = answer.report;
      say(
        [
          `report ${r.day} (hash ${answer.hash.slice(0, 16)}…, previous ${r.prevHash === "" ? "none" : `${r.prevHash.slice(0, 16)}…`})`,
          ...r.epochs.map(
            (e) =>
              `  key ${e.keyId.slice(0, 16)} (age ${e.threshold}): ${e.issued} issued, ${e.accepted} accepted`,
          ),
          ...r.providers.map((p) => `  provider ${p.id}: ${p.grants} grants, ${p.tokens} tokens`),
          ...r.refused.map((x) => `  refused ${x.code}: ${x.count}`),
          `  counts rounded down to a multiple of ${r.bucket}`,
        ].join("\n"),
        answer,
      );
      return 0;
    }
    default:
      io.out(USAGE);
      return values.help === true ? 0 : 2;
  }
}
