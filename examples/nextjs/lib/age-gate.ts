import { createAgeGate } from "@blindgate/sdk/site";

/*
 * The site's gates, made once per server instance (module scope) so the directory and key caches live across
 * requests. One gate, two ages: the lobby asks for 13, the adult pages for 18, and both share the proof endpoint
 * (app/.well-known/blindgate/proof/route.ts).
 */

const env = (name: string): string => process.env[name] ?? "";

export const lobby = createAgeGate({
  issuers: { url: env("BLINDGATE_URL"), siteKey: env("BLINDGATE_SITE_KEY") },
  minAge: 13,
  session: { secret: env("AGE_SESSION_SECRET") },
  // public/blindgate.js: a copy of node_modules/@blindgate/sdk/dist/browser/blindgate-browser.min.js (README).
  refusalPage: { walletUrl: env("BLINDGATE_WALLET_URL"), browserModuleUrl: "/blindgate.js" },
});

export const adults = lobby.require(18);

// 13 to 17 (`below` is exclusive): adults are refused, and told why in words.
export const teens = lobby.require({ from: 13, below: 18 });
