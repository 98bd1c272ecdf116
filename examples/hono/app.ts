import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { createAgeGate } from "@blindgate/sdk/site";
import { type AgeGateEnv, honoAgeGate } from "@blindgate/sdk/site/hono";
import { Hono } from "hono";

/** What the site needs from its gateway (what `npm start` prints) and its own secret. */
export interface SiteConfig {
  gatewayUrl: string;
  walletUrl: string;
  siteKey: string;
  sessionSecret: string;
  /** The gateway's issuer name, when it is not the host of `gatewayUrl` (the gateway's BLINDGATE_ISSUER_NAME). */
  issuerName?: string;
  /** The prebuilt browser module to serve at /blindgate.js; default: the one @blindgate/sdk ships. */
  browserModuleFile?: string;
}

/** A 13+ lobby, a teens' room (13 to 17: no adult) and an adults' room (18+): one gate, one proof endpoint. */
export function createApp(config: SiteConfig): Hono<AgeGateEnv> {
  const lobby = createAgeGate({
    issuers: { url: config.gatewayUrl, siteKey: config.siteKey, issuerName: config.issuerName },
    minAge: 13,
    session: { secret: config.sessionSecret },
    refusalPage: { walletUrl: config.walletUrl, browserModuleUrl: "/blindgate.js" },
  });
  const adults = lobby.require(18);
  const teens = lobby.require({ from: 13, below: 18 });
  const browserModule =
    config.browserModuleFile ?? fileURLToPath(import.meta.resolve("@blindgate/sdk/browser.js"));

  const app = new Hono<AgeGateEnv>();
  app.get("/blindgate.js", async (c) =>
    c.body(await readFile(browserModule, "utf8"), 200, { "Content-Type": "text/javascript; charset=utf-8" }),
  );
  app.use(lobby.proofPath, honoAgeGate(lobby)); // the one proof endpoint, for every age
  app.get("/", honoAgeGate(lobby), (c) =>
    c.html(
      `<h1>Lobby</h1><p>You proved you are ${c.get("ageOver")} or over.</p><a href="/adults">Adults</a>`,
    ),
  );
  app.get("/teens", honoAgeGate(teens), (c) =>
    c.html(
      `<h1>Teens only</h1><p>You proved you are ${c.get("ageOver")} to ${(c.get("ageBelow") ?? 0) - 1}.</p>`,
    ),
  );
  app.get("/adults", honoAgeGate(adults), (c) =>
    c.html(`<h1>Adults only</h1><p>You proved you are ${c.get("ageOver")} or over.</p>`),
  );
  return app;
}
