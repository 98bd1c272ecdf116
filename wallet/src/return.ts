import { GRANT_CHANNEL, grantTaken, pickLang, readGrantFragment, readMessage } from "@blindgate/sdk/browser";
import { WALLET_STRINGS } from "./strings.js";

/*
 * The wallet's return page. The provider's page, opened by the wallet with no opener (it must not reach the wallet's
 * window, nor through it the site's), sends the person here with its answer in the URL fragment. This page takes the
 * fragment out of the address bar and the history at once, hands the answer to the wallet window that waits for it
 * (same origin: a BroadcastChannel; the `state` says which window), and closes once that window took it. No wallet
 * waiting (closed meanwhile, or a page that is not the wallet opened the provider): it says so, and keeps nothing.
 */

/** How long to wait for a wallet window to take the answer before saying none is waiting. */
const TAKEN_WITHIN_MS = 3000;

function main(): void {
  const lang = pickLang(document.documentElement.lang);
  const S = WALLET_STRINGS[lang];
  document.documentElement.lang = lang;
  document.title = S.title;
  const status = document.getElementById("return-status") as HTMLElement;
  const title = document.getElementById("return-title") as HTMLElement;
  title.textContent = S.title;
  const answer = readGrantFragment(location.hash);
  history.replaceState(null, "", location.pathname); // the grant leaves the address bar and the history
  if (answer === undefined) {
    status.textContent = S.returnNothing;
    return;
  }
  status.textContent = S.returnBack;
  const channel = new BroadcastChannel(GRANT_CHANNEL);
  const timer = setTimeout(() => {
    channel.close();
    status.textContent = S.returnNoWallet;
  }, TAKEN_WITHIN_MS);
  channel.onmessage = (event: MessageEvent) => {
    const taken = readMessage(grantTaken, event.data);
    if (taken === undefined || taken.state !== answer.state) return;
    clearTimeout(timer);
    channel.close();
    window.close();
  };
  channel.postMessage(answer);
}

main();
