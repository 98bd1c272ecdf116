import { pickLang } from "@blindgate/sdk/browser";
import type { App } from "./app.js";
import { renderTokens } from "./holdings.js";
import { showHome } from "./home.js";
import type { WalletConfig } from "./issue.js";
import { hasOpener, listenToOpener } from "./opener.js";
import { onOutcome, prepare } from "./proof.js";
import { scheduleRefills } from "./refill-timers.js";
import { beginRequest } from "./request.js";
import { WALLET_STRINGS } from "./strings.js";
import { creditSupply } from "./supply.js";
import { el, setStatus } from "./ui.js";

/*
 * The wallet page. Opened by a site page (prove()) it answers token requests: it shows who asks and for which age,
 * gets a credential and tokens from a provider and the gateway when it has none (provider-flow.ts), and hands one
 * token to the asking page only, after the person confirms (proof.ts). Opened directly, it shows what it holds, lets
 * the person check their age before any site asks, and delete everything (home.ts). The site's origin never leaves
 * this page: the wallet's requests go to the gateway and the provider's page, carry no Referer, and say nothing
 * about any site.
 *
 * Timing (docs/wallet.md): a proof answered from the pool makes no request at all; the pools are topped up at
 * moments that are not a proof (refill-timers.ts), and the first proof after a grant waits (first-use.ts).
 */

async function main(): Promise<void> {
  const lang = pickLang(document.documentElement.lang);
  const S = WALLET_STRINGS[lang];
  document.documentElement.lang = lang;
  el("wallet-title").textContent = S.title;
  document.title = S.title;
  el("wallet-intro").textContent = S.intro;
  el("wallet-tokens-title").textContent = S.tokensTitle;
  setStatus(S.loading);
  const config = (await (await fetch("config.json", { credentials: "omit" })).json()) as WalletConfig;
  const app: App = {
    lang,
    S,
    config,
    supply: creditSupply(() => config),
    request: undefined,
    held: new Map(),
  };
  if (!hasOpener()) {
    await renderTokens(app);
    setStatus("");
    el("wallet-standalone").textContent = S.standalone;
    el("wallet-standalone").hidden = false;
    showHome(app);
    scheduleRefills(app);
    return;
  }
  // Opened by a site: ready first, the list of tokens meanwhile (it is not on the way to Confirm)
  listenToOpener({
    onRequest(origin, asked) {
      if (beginRequest(app, origin, asked) !== undefined) void prepare(app);
    },
    onOutcome(origin, outcome) {
      void onOutcome(app, origin, outcome);
    },
  });
  await renderTokens(app);
  if (el("wallet-status").textContent === S.loading) setStatus("");
}

void main();
