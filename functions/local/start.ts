import { readFile } from "node:fs/promises";
import { exportGrantJwks, generateGrantKey } from "@blindgate/sdk/provider";
import { startDemoProvider } from "../../demo/provider/server.js";
import { startDemoSite } from "../../demo/site/server.js";
import { startEuAvProvider } from "../../providers/eu-av/local.js";
import { splitPemBundle } from "../../providers/eu-av/trust.js";
import { removeLocalState, writeLocalState } from "../admin/local-state.js";
import { defaultDataKeyFile, startLocalGateway } from "./gateway.js";

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
 */

// Quiet by default: the gateway's JSON log and EMF metric lines are for CloudWatch; `npm start -- --verbose` shows
// them. The AWS SDK's notice about Node 20 is for Lambda operators (Lambda runs Node 22), not for a local demo.
const verbose = process.argv.includes("--verbose") || process.env.BLINDGATE_VERBOSE === "1";
if (!verbose) process.env.BLINDGATE_QUIET = "1";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const basePort = Number(process.env.BLINDGATE_PORT ?? 8787);
if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65_533) {
  console.error("BLINDGATE_PORT must be a port number");
  process.exit(2);
}

/** The gateway as servers on this machine reach it; its host is the issuer name. */
const gatewayLocalUrl = `http://127.0.0.1:${basePort}`;
const issuerName = new URL(gatewayLocalUrl).host;

const gateway = await startLocalGateway({
  port: basePort,
  publicHost: "gateway.localhost",
  issuerName,
  dataKeyFile: process.env.BLINDGATE_DATA_KEY_FILE ?? defaultDataKeyFile(),
});
if (gateway.localUrl !== gatewayLocalUrl) throw new Error(`gateway listens on ${gateway.localUrl}`);
// `npm run admin` finds this gateway by the state file (endpoint, tables, issuer; no secret), removed on stop.
const stateFile = await writeLocalState({ config: gateway.config, gatewayUrl: gateway.localUrl });
const walletOrigin = new URL(gateway.walletUrl).origin;

const grantKey = await generateGrantKey({ kid: "demo-1" });
const provider = await startDemoProvider({
  port: basePort + 1,
  publicHost: "provider.localhost",
  providerId: "demo-provider",
  issuerName: gateway.issuerName,
  walletOrigins: [walletOrigin],
  grantKey,
});
await gateway.addProvider({
  id: "demo-provider",
  name: "Demo provider (stand-in age check)",
  verifyUrl: provider.verifyUrl,
  jwks: await exportGrantJwks(grantKey),
  monthlyQuota: 100_000,
  maxThreshold: 21, // the demo provider attests every threshold, 21 included
});
// The EU age-verification provider (providers/eu-av), when a trusted issuer list is given: a PEM bundle of IACA
// certificates in BLINDGATE_EU_AV_IACAS (docs/provider-guide.md). Without one it has nothing to trust, so it is off.
const euAvIacas = process.env.BLINDGATE_EU_AV_IACAS;
const euAv =
  euAvIacas === undefined
    ? undefined
    : await startEuAvProvider({
        port: basePort + 3,
        host: "eu-av.localhost",
        gatewayIssuer: gateway.issuerName,
        walletOrigin,
        trustedIacas: splitPemBundle(await readFile(euAvIacas, "utf8")),
      });
if (euAv !== undefined) {
  await gateway.addProvider({
    id: euAv.providerId,
    name: "EU age verification (mdoc, OpenID4VP)",
    verifyUrl: euAv.verifyUrl,
    jwks: euAv.jwks,
    monthlyQuota: 100_000,
    maxThreshold: 21,
  });
}
const { site, apiKey } = await gateway.addSite("Demo site");
const demoSite = await startDemoSite({
  port: basePort + 2,
  publicHost: "site.localhost",
  gatewayUrl: gateway.localUrl,
  siteKey: apiKey,
  issuerName: gateway.issuerName,
  walletUrl: gateway.walletUrl,
});

console.log(`
blindgate is running (local mode: dynalite in memory, the same handlers as on Lambda)
Each party has its own host name, so no cookie of one reaches another.

  demo site  ${demoSite.url}   (open page, /teen gated at 13, /adult at 18, /mixed with a gated section)
  wallet     ${gateway.walletUrl}
  provider   ${provider.url}   (demo: a birth date stands in for a real age check)
  EU AV      ${euAv === undefined ? "off (set BLINDGATE_EU_AV_IACAS to a PEM bundle of trusted IACAs)" : euAv.verifyUrl}
  gateway    ${gateway.url}   (what browsers use)
    directory  ${gateway.url}/.well-known/private-token-issuer-directory
    key log    ${gateway.url}/v1/key-log

For your own site's server on this machine (docs/site-guide.md):
  gateway URL  ${gateway.localUrl}
  issuer name  ${gateway.issuerName}   (the host of that URL: the SDK's default)
  site API key ${apiKey}   (demo site ${site.id}; shown once)
  wallet URL   ${gateway.walletUrl}   (for prove() and <age-gate> in your pages)

  createAgeGate({ issuers: { url: "${gateway.localUrl}", siteKey: process.env.BLINDGATE_SITE_KEY },
    minAge: 18, session: { secret: process.env.AGE_SESSION_SECRET, secure: false } })

Open ${demoSite.url} in a browser. Ctrl-C stops everything.${verbose ? "" : "\n(Log and metric lines are off: npm start -- --verbose shows them.)"}
`);
console.log(`Admin: npm run admin -- where   (finds this gateway through ${stateFile})\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await demoSite.close();
  await provider.close();
  await euAv?.close();
  await removeLocalState(stateFile);
  await gateway.close();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
