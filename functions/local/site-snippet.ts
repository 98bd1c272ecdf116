/*
 * The code `npm start` prints for your own site's server: the docs' gate (docs/site-guide.md), with this gateway's
 * URL and how to pass it the demo site's key. It is type-checked under the repository's strict options by the
 * docs-snippet test, like the guides' code, so what a newcomer pastes compiles.
 */

/** The snippet, for a gateway at `gatewayUrl` whose demo site key is in `siteKeyFile`. */
export function siteSnippet(gatewayUrl: string, siteKeyFile: string): string {
  return `  // BLINDGATE_SITE_KEY="$(cat ${siteKeyFile})" AGE_SESSION_SECRET="$(openssl rand -base64 32)" node server.js
  import { createAgeGate } from "@blindgate/sdk/site";

  const gate = createAgeGate({
    issuers: { url: ${JSON.stringify(gatewayUrl)}, siteKey: process.env.BLINDGATE_SITE_KEY ?? "" },
    minAge: 18,
    session: { secret: process.env.AGE_SESSION_SECRET ?? "", secure: false }, // secure: false for http://
  });`;
}
