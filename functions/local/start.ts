import { constants } from "node:fs";
import { open, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { intervalKey } from "@blindgate/sdk/protocol";
import { exportGrantJwks, generateGrantKey } from "@blindgate/sdk/provider";
import { startDemoProvider } from "../../demo/provider/server.js";
import { startDemoSite } from "../../demo/site/server.js";
import { PortInUse } from "../../dev/lambda-http.js";
import { EuAvConfigError } from "../../providers/eu-av/errors.js";
import { readIacaSetting } from "../../providers/eu-av/iaca-setting.js";
import { startEuAvProvider } from "../../providers/eu-av/local.js";
import { startTestWallet } from "../../providers/eu-av/test-wallet/server.js";
import {
  DEFAULT_LOCAL_PORT,
  isRunning,
  localStateFile,
  readLocalState,
  removeLocalState,
  writeLocalState,
} from "../admin/local-state.js";
import { defaultDataKeyFile, startLocalGateway } from "./gateway.js";
import { siteSnippet } from "./site-snippet.js";

/*
 * `npm start`: the gateway with its wallet, a demo provider and a demo site, with no AWS account.
 *
 * Each party has its own host name, as on the web: gateway.localhost, provider.localhost, site.localhost (browsers
 * map every *.localhost name to the loopback address). Cookies are scoped by host, not port: on one shared
 * 127.0.0.1 the site's age cookie would reach the gateway's wallet pages and the provider.
 *
 * Servers on this machine (your site's back end) reach the gateway at http://127.0.0.1:<port>, since Node does not
 * resolve *.localhost; the gateway's issuer name is that URL's host, by construction, so a gate configured with
 * `issuers: { url: "http://127.0.0.1:8787", siteKey }` (docs/site-guide.md, unchanged) names the right issuer.
 *
 * Storage is dynalite in memory (every start is a fresh world: new keys, new demo credentials); the key vault's
 * master key lives outside the repository (~/.config/blindgate/data-key, or BLINDGATE_DATA_KEY_FILE).
 * Ports: BLINDGATE_PORT (gateway, default 8787), the demo provider on the next port, the demo site on the one after.
 * Each start keeps its own state file (one per port, or BLINDGATE_LOCAL_STATE) for `npm run admin`, and writes the
 * demo site's API key once, to a file only its owner can read: the key never goes to the terminal, whose
 * scrollback, recordings and CI logs outlive the demo.
 */

// Quiet by default: the gateway's JSON log and EMF metric lines are for CloudWatch; `npm start -- --verbose` shows
// them. The AWS SDK's notice about Node 20 is for Lambda operators (Lambda runs Node 22), not for a local demo.
const verbose = process.argv.includes("--verbose") || process.env.BLINDGATE_VERBOSE === "1";
if (!verbose) process.env.BLINDGATE_QUIET = "1";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const basePort = Number(process.env.BLINDGATE_PORT ?? DEFAULT_LOCAL_PORT);
if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65_530) {
  console.error(
    "BLINDGATE_PORT must be a port number (1 to 65530: the demo provider, the demo site, the EU AV provider and its test wallet take the next four)",
  );
  process.exit(2);
}
const stateFile = localStateFile(process.env, basePort);
const earlier = await readLocalState(stateFile).catch(() => undefined);
if (earlier !== undefined && earlier.pid !== process.pid && isRunning(earlier.pid)) {
  console.error(
    `npm start: ${stateFile} belongs to the gateway still running at ${earlier.gatewayUrl} (pid ${earlier.pid}).\n` +
      "Give this one its own: BLINDGATE_LOCAL_STATE=<another file> (or unset it: each port gets its own file).",
  );
  process.exit(1);
}
// The EU age-verification provider (providers/eu-av). With BLINDGATE_EU_AV_IACAS (the path of a PEM file of IACA
// certificates or the PEM text itself, docs/provider-guide.md) it trusts those issuers. Without it, it trusts only
// the TEST wallet started beside it (a test IACA made now, test attestations of an adult and a 15-year-old), so the
// whole EU AV path runs on this machine. A bad value stops the start, before anything listens, with one line
// saying what to do.
const euAvIacas = process.env.BLINDGATE_EU_AV_IACAS;
let euAvTrust: string[] | undefined;
try {
  euAvTrust = euAvIacas === undefined ? undefined : readIacaSetting(euAvIacas, "BLINDGATE_EU_AV_IACAS");
} catch (error) {
  if (!(error instanceof EuAvConfigError)) throw error;
  console.error(`blindgate: ${error.message}`);
  process.exit(2);
}
// A port in use is the likeliest first-run failure (8787 is also wrangler's default): name the setting that moves
// it instead of a stack trace.
async function bound<T>(starting: Promise<T>): Promise<T> {
  try {
    return await starting;
  } catch (error) {
    if (!(error instanceof PortInUse)) throw error;
    console.error(
      `npm start: ${error.message} (another npm start? \`wrangler dev\` uses 8787 too).\n` +
        `Pick free ports with BLINDGATE_PORT: the gateway takes it, the demo provider and the demo site the next two${
          process.env.BLINDGATE_EU_AV_IACAS === undefined
            ? ", the EU AV provider and its test wallet the two after"
            : ", the EU AV provider the third"
        }, e.g.\n  BLINDGATE_PORT=${basePort < 60_000 ? basePort + 1000 : 9787} npm start`,
    );
    process.exit(1);
  }
}

/** The gateway as servers on this machine reach it; its host is the issuer name. */
const gatewayLocalUrl = `http://127.0.0.1:${basePort}`;
const issuerName = new URL(gatewayLocalUrl).host;

const gateway = await bound(
  startLocalGateway({
    port: basePort,
    publicHost: "gateway.localhost",
    issuerName,
    dataKeyFile: process.env.BLINDGATE_DATA_KEY_FILE ?? defaultDataKeyFile(),
  }),
);
if (gateway.localUrl !== gatewayLocalUrl) throw new Error(`gateway listens on ${gateway.localUrl}`);
const walletOrigin = new URL(gateway.walletUrl).origin;

const grantKey = await generateGrantKey({ kid: "demo-1" });
const provider = await bound(
  startDemoProvider({
    port: basePort + 1,
    publicHost: "provider.localhost",
    providerId: "demo-provider",
    issuerName: gateway.issuerName,
    walletOrigins: [walletOrigin],
    grantKey,
  }),
);
await gateway.addProvider({
  id: "demo-provider",
  name: "Demo provider (stand-in age check)",
  verifyUrl: provider.verifyUrl,
  jwks: await exportGrantJwks(grantKey),
  monthlyQuota: 100_000,
  maxThreshold: 21, // the demo provider attests every threshold, 21 included
  bands: gateway.config.bands.map(intervalKey), // and every band: it signs them from the birth date typed in
});
const testWallet =
  euAvTrust === undefined
    ? await bound(startTestWallet({ port: basePort + 4, host: "eu-av-wallet.localhost" }))
    : undefined;
const euAv = await bound(
  startEuAvProvider({
    port: basePort + 3,
    host: "eu-av.localhost",
    gatewayIssuer: gateway.issuerName,
    walletOrigin,
    trustedIacas: euAvTrust ?? [testWallet?.iacaPem ?? ""],
    ...(testWallet !== undefined ? { testWalletUrl: testWallet.url } : {}),
  }),
);
await gateway.addProvider({
  id: euAv.providerId,
  name:
    testWallet === undefined
      ? "EU age verification (mdoc, OpenID4VP)"
      : "EU age verification (mdoc, OpenID4VP) — TEST issuer only",
  verifyUrl: euAv.verifyUrl,
  jwks: euAv.jwks,
  monthlyQuota: 100_000,
  maxThreshold: 21,
  // an attestation's age_over_NN = false proves an upper bound (ISO 18013-5 may disclose false)
  bands: gateway.config.bands.map(intervalKey),
});
const { site, apiKey } = await gateway.addSite("Demo site");
const siteKeyFile = process.env.BLINDGATE_SITE_KEY_FILE ?? join(dirname(stateFile), `site-key-${basePort}`);
await writeSecretFile(siteKeyFile, `${apiKey}\n`);
const demoSite = await bound(
  startDemoSite({
    port: basePort + 2,
    publicHost: "site.localhost",
    gatewayUrl: gateway.localUrl,
    siteKey: apiKey,
    issuerName: gateway.issuerName,
    walletUrl: gateway.walletUrl,
  }),
);

// `npm run admin` finds this gateway by the state file (endpoint, tables, issuer; no secret), removed on stop.
await writeLocalState({ config: gateway.config, gatewayUrl: gateway.localUrl, file: stateFile });
// The exact command that finds this gateway: its state file is named by the variable that chose it.
const adminEnv =
  (process.env.BLINDGATE_LOCAL_STATE ?? "") !== ""
    ? `BLINDGATE_LOCAL_STATE=${stateFile} `
    : basePort !== DEFAULT_LOCAL_PORT
      ? `BLINDGATE_PORT=${basePort} `
      : "";

console.log(`
blindgate is running (local mode: dynalite in memory, the same handlers as on Lambda)
Each party has its own host name, so no cookie of one reaches another.

  demo site  ${demoSite.url}   (a video-chat lobby, 13+; rooms for teens 13–17 and adults 18+)
  wallet     ${gateway.walletUrl}
  provider   ${provider.url}   (demo: a birth date stands in for a real age check)
  EU AV      ${euAv.verifyUrl}   (${testWallet === undefined ? "trusts the IACAs of BLINDGATE_EU_AV_IACAS" : "trusts only the test wallet's TEST issuer; BLINDGATE_EU_AV_IACAS sets real ones"})${
    testWallet === undefined
      ? ""
      : `\n  TEST wallet ${testWallet.url}   (EU AV test attestations, an adult and a 15-year-old: not a real check)`
  }
  gateway    ${gateway.url}   (what browsers use)
    directory  ${gateway.url}/.well-known/private-token-issuer-directory
    key log    ${gateway.url}/v1/key-log

For your own site's server on this machine (docs/site-guide.md):
  gateway URL  ${gateway.localUrl}
  issuer name  ${gateway.issuerName}   (the host of that URL: the SDK's default)
  site API key in ${siteKeyFile}   (demo site ${site.id}; readable by you only, gone on stop)
  wallet URL   ${gateway.walletUrl}   (for prove() and <age-gate> in your pages)

${siteSnippet(gateway.localUrl, siteKeyFile)}

Admin: ${adminEnv}npm run admin -- where   (finds this gateway through ${stateFile})

Open ${demoSite.url} in a browser. Ctrl-C stops everything.${verbose ? "" : "\n(Log and metric lines are off: npm start -- --verbose shows them.)"}
`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await demoSite.close();
  await provider.close();
  await euAv.close();
  await testWallet?.close();
  await removeLocalState(stateFile);
  await rm(siteKeyFile, { force: true });
  await gateway.close();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

/**
 * Write a secret to a new file only its owner can read: a file (or a symlink someone planted) already at that path
 * is removed first and the new one is created exclusively, never followed.
 */
async function writeSecretFile(file: string, text: string): Promise<void> {
  await rm(file, { force: true });
  const handle = await open(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}
