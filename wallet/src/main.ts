import { grantError, grantMessage, randomId, readMessage, tokenRequest } from "@blindgate/sdk/browser";
import { isKeyAnnounced, type KeyLogEntry, verifyKeyLog } from "@blindgate/sdk/protocol";
import { IssueError, issueTokens, type WalletConfig } from "./issue.js";
import { addTokens, allTokens, pickToken, removeTokens, type StoredToken } from "./store.js";
import { WALLET_STRINGS, type WalletStrings } from "./strings.js";

/*
 * The wallet page. Opened by a site page (prove()) it answers one token request: it shows who asks and for which
 * age, gets tokens from a provider and the gateway when it has none, and hands one token to the asking page only
 * (postMessage to that page's origin). Opened directly, it shows the tokens it holds. The site's origin never
 * leaves this page: the wallet's requests go to the gateway and the provider's page, carry no Referer, and say
 * nothing about any site.
 */

const lang = navigator.language.toLowerCase().startsWith("fr") ? "fr" : "en";
const S: WalletStrings = WALLET_STRINGS[lang];
document.documentElement.lang = lang;

const el = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string) => {
  el("wallet-status").textContent = text;
};
const now = () => Math.floor(Date.now() / 1000);
const LOW_TOKENS = 3;

interface PendingRequest {
  origin: string;
  minAge: number;
  nonce: string;
}

let config: WalletConfig;
let request: PendingRequest | undefined;

async function main(): Promise<void> {
  el("wallet-title").textContent = S.title;
  document.title = S.title;
  el("wallet-intro").textContent = S.intro;
  el("wallet-tokens-title").textContent = S.tokensTitle;
  el("wallet-providers-title").textContent = S.providersTitle;
  el("wallet-providers-help").textContent = S.providersHelp;
  el("wallet-cancel").textContent = S.cancel;
  status(S.loading);
  config = (await (await fetch("config.json", { credentials: "omit" })).json()) as WalletConfig;
  await renderTokens();
  status("");
  if (window.opener !== null) {
    window.addEventListener("message", onTokenRequest);
    window.opener.postMessage({ type: "blindgate:wallet-ready" }, "*");
  }
}

function onTokenRequest(event: MessageEvent): void {
  if (event.source !== window.opener || request !== undefined) return;
  const message = readMessage(tokenRequest, event.data);
  if (message === undefined) return;
  window.removeEventListener("message", onTokenRequest);
  request = { origin: event.origin, minAge: message.minAge, nonce: message.nonce };
  const text = el("wallet-request-text");
  text.replaceChildren();
  const origin = document.createElement("span");
  origin.className = "origin";
  origin.textContent = event.origin;
  text.append(origin, document.createTextNode(S.asks("", message.minAge).replace(/^\s*/, " ")));
  el("wallet-request").hidden = false;
  el("wallet-cancel").onclick = () => answerError("CANCELLED");
  void prepare(false);
}

async function fetchKeyLog(): Promise<KeyLogEntry[]> {
  const entries: KeyLogEntry[] = [];
  for (let from = 0; ; ) {
    const response = await fetch(`${config.gatewayUrl}/v1/key-log?from=${from}`, { credentials: "omit" });
    if (!response.ok) throw new IssueError("KEY_LOG_UNAVAILABLE");
    const page = (await response.json()) as { entries: KeyLogEntry[]; next?: number };
    entries.push(...page.entries);
    if (page.next === undefined) break;
    from = page.next;
  }
  if (!(await verifyKeyLog(entries))) throw new IssueError("KEY_LOG_BROKEN");
  return entries;
}

/** Find a usable token for the request; without one, offer the providers. */
async function prepare(justIssued: boolean): Promise<void> {
  if (request === undefined) return;
  const current = request;
  let log: KeyLogEntry[];
  try {
    log = await fetchKeyLog();
  } catch {
    status(S.unavailable);
    return answerError("UNAVAILABLE", 1500);
  }
  const tokens = await allTokens();
  const usable = (t: StoredToken) => t.notAfter > now() && isKeyAnnounced(log, t.keyId, now());
  await removeTokens(tokens.filter((t) => !usable(t)).map((t) => t.id as number));
  const token = pickToken(tokens, current.minAge, usable);
  if (token === undefined) {
    if (justIssued) {
      status(S.underAge);
      return answerError("UNDER_AGE", 2500);
    }
    return showProviders();
  }
  if (justIssued) {
    // A proof right after an issuance would be linkable by time at the gateway: wait a little, at random.
    await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 1500));
  }
  el("wallet-providers").hidden = true;
  const confirm = el<HTMLButtonElement>("wallet-confirm");
  confirm.textContent = S.confirm(token.threshold);
  confirm.disabled = false;
  confirm.hidden = false;
  confirm.onclick = () => void send(token);
  status(S.ready);
  confirm.focus();
}

async function showProviders(): Promise<void> {
  let providers: { id: string; name: string; verifyUrl: string }[] = [];
  try {
    const response = await fetch(`${config.gatewayUrl}/v1/providers`, { credentials: "omit" });
    providers = ((await response.json()) as { providers: typeof providers }).providers;
  } catch {
    providers = [];
  }
  if (providers.length === 0) {
    status(S.noProvider);
    return answerError("NO_PROVIDER", 2500);
  }
  const list = el("wallet-provider-list");
  list.replaceChildren(
    ...providers.map((p) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.providerId = p.id;
      button.textContent = S.useProvider(p.name);
      button.onclick = () => void useProvider(p.verifyUrl);
      li.append(button);
      return li;
    }),
  );
  el("wallet-providers").hidden = false;
  (list.querySelector("button") as HTMLButtonElement | null)?.focus();
}

/** Open the provider's page (with only this wallet's origin and a random state) and wait for its grant. */
function getGrant(verifyUrl: string): Promise<string> {
  const state = randomId();
  const url = new URL(verifyUrl);
  url.searchParams.set("wallet_origin", location.origin);
  url.searchParams.set("state", state);
  const popup = window.open(url.href, "blindgate-provider", "popup");
  return new Promise((resolve, reject) => {
    const onMessage = (event: MessageEvent) => {
      if (event.origin !== url.origin || (popup !== null && event.source !== popup)) return;
      const grant = readMessage(grantMessage, event.data);
      if (grant !== undefined && grant.state === state) {
        window.removeEventListener("message", onMessage);
        return resolve(grant.grant);
      }
      const error = readMessage(grantError, event.data);
      if (error !== undefined && error.state === state) {
        window.removeEventListener("message", onMessage);
        reject(new IssueError(error.code));
      }
    };
    window.addEventListener("message", onMessage);
  });
}

async function useProvider(verifyUrl: string): Promise<void> {
  status(S.waitingProvider);
  try {
    const grant = await getGrant(verifyUrl);
    status(S.issuing);
    const tokens = await issueTokens(config, grant, now());
    await addTokens(tokens);
    status(S.issued(tokens.length));
    await renderTokens();
    await prepare(true);
  } catch (error) {
    const code = error instanceof IssueError ? error.code : "UNAVAILABLE";
    if (code === "UNDER_AGE") {
      status(S.underAge);
      return answerError("UNDER_AGE", 2500);
    }
    status(S.unavailable);
    return answerError("UNAVAILABLE", 2500);
  }
}

async function send(token: StoredToken): Promise<void> {
  if (request === undefined || window.opener === null) return;
  await removeTokens([token.id as number]);
  window.opener.postMessage(
    { type: "blindgate:token", nonce: request.nonce, token: token.token, ageOver: token.threshold },
    request.origin,
  );
  const left = (await allTokens()).filter((t) => t.threshold === token.threshold).length;
  if (left < LOW_TOKENS) status(S.lowTokens);
  request = undefined;
  setTimeout(() => window.close(), left < LOW_TOKENS ? 1500 : 200);
}

function answerError(code: "CANCELLED" | "NO_PROVIDER" | "UNAVAILABLE" | "UNDER_AGE", delayMs = 0): void {
  if (request === undefined || window.opener === null) return;
  window.opener.postMessage({ type: "blindgate:error", nonce: request.nonce, code }, request.origin);
  request = undefined;
  setTimeout(() => window.close(), delayMs);
}

async function renderTokens(): Promise<void> {
  const counts = new Map<number, number>();
  for (const t of await allTokens())
    if (t.notAfter > now()) counts.set(t.threshold, (counts.get(t.threshold) ?? 0) + 1);
  const list = el("wallet-token-list");
  const items = [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, n]) => {
      const li = document.createElement("li");
      li.textContent = S.tokensLine(t, n);
      return li;
    });
  if (items.length === 0) {
    const li = document.createElement("li");
    li.textContent = S.none;
    items.push(li);
  }
  list.replaceChildren(...items);
}

void main();
