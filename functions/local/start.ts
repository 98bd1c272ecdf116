import { exportGrantJwks, generateGrantKey } from "@blindgate/sdk/provider";
import { startDemoProvider } from "../../demo/provider/server.js";
import { startDemoSite } from "../../demo/site/server.js";
import { defaultDataKeyFile, startLocalGateway } from "./gateway.js";

/*
 * `npm start`: the gateway with its wallet, a demo provider and a demo site, on localhost, with no AWS account.
 * Storage is dynalite in memory (every start is a fresh world: new keys, new demo credentials); the key vault's
 * master key lives outside the repository (~/.config/blindgate/data-key, or BLINDGATE_DATA_KEY_FILE).
 * Ports: BLINDGATE_PORT (gateway, default 8787), the demo provider on the next port, the demo site on the one after.
 */

const basePort = Number(process.env.BLINDGATE_PORT ?? 8787);
if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65_533) {
  console.error("BLINDGATE_PORT must be a port number");
  process.exit(2);
}

const gateway = await startLocalGateway({
  port: basePort,
  dataKeyFile: process.env.BLINDGATE_DATA_KEY_FILE ?? defaultDataKeyFile(),
});
const walletOrigin = new URL(gateway.walletUrl).origin;

const grantKey = await generateGrantKey({ kid: "demo-1" });
const provider = await startDemoProvider({
  port: basePort + 1,
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
});
const { site, apiKey } = await gateway.addSite("Demo site");
const demoSite = await startDemoSite({
  port: basePort + 2,
  gatewayUrl: gateway.url,
  issuerName: gateway.issuerName,
  siteKey: apiKey,
  walletUrl: gateway.walletUrl,
});

console.log(`
blindgate is running (local mode: dynalite in memory, the same handlers as on Lambda)

  gateway    ${gateway.url}
    directory  ${gateway.url}/.well-known/private-token-issuer-directory
    key log    ${gateway.url}/v1/key-log
  wallet     ${gateway.walletUrl}
  provider   ${provider.url}   (demo: a birth date stands in for a real age check)
  demo site  ${demoSite.url}   (open page, /teen gated at 13, /adult at 18, /mixed with a gated section)

  demo site id      ${site.id}
  demo site API key ${apiKey}   (for POST ${gateway.url}/v1/check; shown once)

Open ${demoSite.url} in a browser. Ctrl-C stops everything.
`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await demoSite.close();
  await provider.close();
  await gateway.close();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
