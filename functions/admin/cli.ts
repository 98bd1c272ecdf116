import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { rotateKeys } from "../issuer/rotation.js";
import { signingDepsFromEnv } from "../issuer/vault-from-env.js";
import { AdminError, addProvider, addSite, setProviderStatus, setSiteStatus } from "./operations.js";

/*
 * `npm run admin -- <command>`: onboarding and key rotation, against whatever the environment points at — the
 * same variables as the functions (docs/architecture.md): on AWS the stack's table names and KMS key (with AWS
 * credentials); locally BLINDGATE_DYNAMODB_ENDPOINT and BLINDGATE_DATA_KEY_FILE.
 *
 *   provider add --name <name> --verify-url <url> --jwks <file> [--id <id>] [--quota <tokens/month>]
 *   provider suspend|activate --id <id>
 *   provider list
 *   site add --name <name>              prints the API key once
 *   site suspend|activate --id <id>
 *   site list
 *   keys rotate                         what the scheduled rotate-keys function does
 *   keys list
 */

const usage = `usage: npm run admin -- <provider|site|keys> <command> [options]
  provider add --name <name> --verify-url <url> --jwks <file> [--id <id>] [--quota <n>]
  provider suspend|activate --id <id>      provider list
  site add --name <name>                   site suspend|activate --id <id>      site list
  keys rotate                              keys list`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      id: { type: "string" },
      "verify-url": { type: "string" },
      jwks: { type: "string" },
      quota: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [area, command] = positionals;
  if (values.help === true || area === undefined || command === undefined) {
    console.log(usage);
    return values.help === true ? 0 : 2;
  }
  const deps = await signingDepsFromEnv();
  const { stores } = deps;
  const now = deps.now();
  const need = (name: keyof typeof values): string => {
    const v = values[name];
    if (typeof v !== "string" || v.length === 0) throw new AdminError(`--${name} is required`);
    return v;
  };

  switch (`${area} ${command}`) {
    case "provider add": {
      const jwks: unknown = JSON.parse(await readFile(need("jwks"), "utf8"));
      const input = {
        name: need("name"),
        verifyUrl: need("verify-url"),
        jwks: jwks as { keys: never[] },
        ...(values.id !== undefined ? { id: values.id } : {}),
        ...(values.quota !== undefined ? { monthlyQuota: Number(values.quota) } : {}),
      };
      const p = await addProvider(stores, input, now);
      console.log(JSON.stringify({ id: p.id, name: p.name, verifyUrl: p.verifyUrl, status: p.status }));
      return 0;
    }
    case "provider suspend":
    case "provider activate":
      await setProviderStatus(stores, need("id"), command === "suspend" ? "suspended" : "active");
      return 0;
    case "provider list":
      for (const p of await stores.providers.list()) {
        console.log(
          JSON.stringify({ id: p.id, name: p.name, status: p.status, monthlyQuota: p.monthlyQuota }),
        );
      }
      return 0;
    case "site add": {
      const { site, apiKey } = await addSite(stores, { name: need("name") }, now);
      console.log(JSON.stringify({ id: site.id, name: site.name }));
      console.log(`API key (shown once, store it in the site's secrets): ${apiKey}`);
      return 0;
    }
    case "site suspend":
    case "site activate":
      await setSiteStatus(stores, need("id"), command === "suspend" ? "suspended" : "active");
      return 0;
    case "site list":
      for (const s of await stores.sites.list()) {
        console.log(JSON.stringify({ id: s.id, name: s.name, status: s.status }));
      }
      return 0;
    case "keys rotate":
      console.log(JSON.stringify(await rotateKeys(deps)));
      return 0;
    case "keys list":
      for (const k of await stores.keys.list()) {
        const { sealedPrivateKey: _secret, spki: _spki, ...visible } = k;
        console.log(JSON.stringify(visible));
      }
      return 0;
    default:
      console.error(usage);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof AdminError || error instanceof SyntaxError ? error.message : String(error),
    );
    process.exit(1);
  },
);
