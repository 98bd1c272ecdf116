import {
  type Lang,
  pickLang,
  proofOutcome,
  readMessage,
  tokenRequest,
  type WalletErrorCode,
} from "@blindgate/sdk/browser";
import { isKeyAnnounced, type KeyLogEntry, verifyKeyLog } from "@blindgate/sdk/protocol";
import { armAfterVisible } from "./arm.js";
import { getGrant } from "./grant.js";
import { gatewayFetch, IssueError, issueTokens, type WalletConfig } from "./issue.js";
import { afterOutcome, NO_SUPPLY, type ProofPlan, planProof, readGrant, type TokenSupply } from "./plan.js";
import {
  addTokens,
  allTokens,
  holdToken,
  lastCheck,
  recordCheck,
  removeTokens,
  type StoredToken,
} from "./store.js";
import { WALLET_STRINGS, type WalletStrings } from "./strings.js";

/*
 * The wallet page. Opened by a site page (prove()) it answers token requests: it shows who asks and for which age,
 * gets tokens from a provider and the gateway when it has none, and hands one token to the asking page only
 * (postMessage to that page's origin), after the person confirms. Opened directly, it shows what it holds. The
 * site's origin never leaves this page: the wallet's requests go to the gateway and the provider's page, carry no
 * Referer, and say nothing about any site.
 *
 * Every path ends in words on this page: a refusal by the provider or the gateway is told here, with its code,
 * and the person can try another provider or cancel; the site hears only "token", "not proven" (UNDER_AGE),
 * CANCELLED or NO_PROVIDER.
 */

const lang: Lang = pickLang(document.documentElement.lang);
const S: WalletStrings = WALLET_STRINGS[lang];
document.documentElement.lang = lang;

const el = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string) => {
  el("wallet-status").textContent = text;
};
const now = () => Math.floor(Date.now() / 1000);
const LOW_TOKENS = 3;
const dateText = (at: number) => new Intl.DateTimeFormat(lang, { dateStyle: "long" }).format(at * 1000);

interface PendingRequest {
  origin: string;
  minAge: number;
  nonce: string;
  /** The site has its answer (token, or error); later actions of this page are for the person only. */
  answered: boolean;
}

let config: WalletConfig;
let request: PendingRequest | undefined;
/** Tokens handed out and held until their site reports the outcome, by request nonce. */
const held = new Map<string, { token: StoredToken; origin: string }>();
/** Where fresh tokens of a lower threshold will come from (credit refills plug in here, issue 9). */
const supply: TokenSupply = NO_SUPPLY;

async function main(): Promise<void> {
  el("wallet-title").textContent = S.title;
  document.title = S.title;
  el("wallet-intro").textContent = S.intro;
  el("wallet-tokens-title").textContent = S.tokensTitle;
  status(S.loading);
  config = (await (await fetch("config.json", { credentials: "omit" })).json()) as WalletConfig;
  await renderTokens();
  status("");
  if (window.opener === null) {
    el("wallet-standalone").textContent = S.standalone;
    el("wallet-standalone").hidden = false;
    return;
  }
  window.addEventListener("message", onMessage);
  window.opener.postMessage({ type: "blindgate:wallet-ready" }, "*");
}

function onMessage(event: MessageEvent): void {
  if (event.source === null || event.source !== window.opener) return;
  const asked = readMessage(tokenRequest, event.data);
  if (asked !== undefined) {
    onTokenRequest(event.origin, asked.minAge, asked.nonce);
    return;
  }
  const outcome = readMessage(proofOutcome, event.data);
  if (outcome !== undefined) void onOutcome(event.origin, outcome.nonce, outcome.ok, outcome.code);
}

/** A request: a new one replaces the one shown (the person clicked again, on this site or after navigating). */
function onTokenRequest(origin: string, minAge: number, nonce: string): void {
  const ack = () => post({ type: "blindgate:request-received", nonce }, origin);
  if (request?.nonce === nonce) {
    ack(); // the same request, sent again ("ready" after the first send)
    return;
  }
  if (request !== undefined && !request.answered) answerError("CANCELLED");
  request = { origin, minAge, nonce, answered: false };
  ack();
  const text = el("wallet-request-text");
  const who = document.createElement("span");
  who.className = "origin";
  who.textContent = origin;
  text.replaceChildren(who, document.createTextNode(S.asks(minAge)));
  el("wallet-request").hidden = false;
  text.focus(); // not the confirm button: a key press meant for the site must not send anything
  void prepare(false);
}

function post(message: unknown, origin: string): void {
  if (window.opener !== null) window.opener.postMessage(message, origin);
}

function answerError(code: WalletErrorCode): void {
  if (request === undefined || request.answered) return;
  request.answered = true;
  post({ type: "blindgate:error", nonce: request.nonce, code }, request.origin);
}

// ---- views: one panel under the request, rebuilt for each step ----

function button(id: string, text: string, onClick: () => void, secondary = false): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.id = id;
  b.textContent = text;
  if (secondary) b.className = "secondary";
  b.addEventListener("click", onClick);
  return b;
}

function para(text: string, className?: string): HTMLParagraphElement {
  const p = document.createElement("p");
  p.textContent = text;
  if (className !== undefined) p.className = className;
  return p;
}

function heading(text: string): HTMLHeadingElement {
  const h = document.createElement("h2");
  h.textContent = text;
  return h;
}

function actions(...buttons: HTMLElement[]): HTMLDivElement {
  const div = document.createElement("div");
  div.className = "actions";
  div.append(...buttons);
  return div;
}

function show(view: string, ...nodes: Node[]): void {
  const panel = el("wallet-panel");
  panel.dataset.view = view;
  panel.replaceChildren(...nodes);
}

const cancelButton = () =>
  button(
    "wallet-cancel",
    S.cancel,
    () => {
      answerError("CANCELLED");
      window.close();
    },
    true,
  );
const closeButton = () => button("wallet-close", S.close, () => window.close(), true);

/** A step where only the person can act now (the site has its answer): words, and a way out. */
function showMessage(view: string, text: string, className = "notice"): void {
  show(view, para(text, className), actions(closeButton()));
}

// ---- finding a token ----

async function fetchKeyLog(): Promise<KeyLogEntry[]> {
  const entries: KeyLogEntry[] = [];
  for (let from = 0; ; ) {
    const response = await gatewayFetch(`${config.gatewayUrl}/v1/key-log?from=${from}`);
    if (!response.ok) throw new IssueError("KEY_LOG_UNAVAILABLE");
    const page = (await response.json()) as { entries: KeyLogEntry[]; next?: number };
    entries.push(...page.entries);
    if (page.next === undefined) break;
    from = page.next;
  }
  if (!(await verifyKeyLog(entries))) throw new IssueError("KEY_LOG_BROKEN");
  return entries;
}

/** Find the answer to the current request: a token to confirm, a question, or the providers. */
async function prepare(justIssued: boolean): Promise<void> {
  const current = request;
  if (current === undefined || current.answered) return;
  status(S.checkingKeys);
  let log: KeyLogEntry[];
  try {
    log = await fetchKeyLog();
  } catch (error) {
    if (request !== current) return;
    const code = error instanceof IssueError ? error.code : "KEY_LOG_UNAVAILABLE";
    status("");
    return show(
      "key-log",
      para(S.keyLog(code), "refusal"),
      actions(
        button("wallet-retry", S.tryAgain, () => void prepare(justIssued)),
        cancelButton(),
      ),
    );
  }
  const usable = (t: StoredToken) => t.notAfter > now() && isKeyAnnounced(log, t.keyId, now());
  const tokens = await allTokens();
  await removeTokens(tokens.filter((t) => !usable(t)).map((t) => t.id as number));
  const thresholds = new Set(log.filter((e) => e.validUntil > now()).map((e) => e.threshold));
  const plan = async (): Promise<ProofPlan> => planProof(await allTokens(), current, thresholds, usable);
  let answer = await plan();
  // Never more than asked: before offering a higher token, try to get tokens of the wanted threshold.
  if (answer.kind === "higher" && (await supply.refill(answer.wanted))) answer = await plan();
  if (request !== current) return;
  status("");
  if (answer.kind === "exact") {
    if (justIssued) {
      // A proof right after an issuance would be linkable by time at the gateway: wait a little, at random.
      status(S.timingWait);
      await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 1500));
      if (request !== current) return;
      status("");
    }
    return showConfirm(answer.token, current);
  }
  if (answer.kind === "higher") return showHigher(answer.token, answer.wanted, current);
  const check = await lastCheck();
  if (check !== undefined && check.ageOver < current.minAge) {
    if (justIssued) {
      answerError("UNDER_AGE");
      return showMessage("under-age", S.underAgeNow(check.ageOver, current.minAge), "refusal");
    }
    return showBelow(check.ageOver, check.at, current);
  }
  return showProviders(check === undefined ? S.providersHelp : S.providersUsedUp);
}

function showConfirm(token: StoredToken, current: PendingRequest): void {
  const confirm = button("wallet-confirm", S.confirm(token.threshold), () => void send(token, current));
  armAfterVisible(confirm);
  show("confirm", para(S.reveal(token.threshold)), actions(confirm, cancelButton()), para(S.arming, "hint"));
}

/** Only higher tokens: say what revealing more means; the default (and every key press) does nothing. */
function showHigher(token: StoredToken, wanted: number, current: PendingRequest): void {
  const reveal = button(
    "wallet-reveal-higher",
    S.revealHigher(token.threshold),
    () => void send(token, current),
    true,
  );
  armAfterVisible(reveal);
  show(
    "higher",
    heading(S.higherTitle(wanted)),
    para(S.higherText(wanted, token.threshold)),
    actions(
      button("wallet-recheck", S.recheck, () => void showProviders(S.providersUsedUp)),
      reveal,
      cancelButton(),
    ),
  );
}

/** The last check says younger than asked: say so, and let the person re-check (a birthday) or answer "not proven". */
function showBelow(checked: number, at: number, current: PendingRequest): void {
  show(
    "below",
    heading(S.belowTitle),
    para(S.belowText(checked, current.minAge, dateText(at))),
    actions(
      button("wallet-not-proven", S.notProven, () => {
        answerError("UNDER_AGE");
        window.close();
      }),
      button("wallet-recheck", S.birthday, () => void showProviders(S.providersHelp), true),
    ),
  );
}

async function showProviders(help: string, notice?: string): Promise<void> {
  const current = request;
  let providers: { id: string; name: string; verifyUrl: string }[] = [];
  try {
    const response = await gatewayFetch(`${config.gatewayUrl}/v1/providers`);
    providers = ((await response.json()) as { providers: typeof providers }).providers;
  } catch {
    providers = [];
  }
  if (request !== current) return;
  if (providers.length === 0) {
    answerError("NO_PROVIDER");
    return showMessage("no-provider", S.noProvider, "refusal");
  }
  const list = document.createElement("ul");
  list.id = "wallet-provider-list";
  list.append(
    ...providers.map((p) => {
      const li = document.createElement("li");
      const b = button(`wallet-provider-${p.id}`, S.useProvider(p.name), () => void useProvider(p.verifyUrl));
      b.dataset.providerId = p.id;
      li.append(b);
      return li;
    }),
  );
  show(
    "providers",
    ...(notice === undefined ? [] : [para(notice, "refusal")]),
    heading(S.providersTitle),
    para(help),
    list,
    actions(cancelButton()),
  );
}

async function useProvider(verifyUrl: string): Promise<void> {
  status(S.waitingProvider);
  el("wallet-panel").dataset.view = "waiting-provider";
  for (const b of el("wallet-panel").querySelectorAll<HTMLButtonElement>("[data-provider-id]"))
    b.disabled = true;
  let grant: string;
  try {
    grant = await getGrant(verifyUrl);
  } catch (error) {
    status("");
    const code = error instanceof IssueError ? error.code : "PROVIDER_ERROR";
    if (code === "UNDER_AGE") {
      await recordCheck({ ageOver: 0, at: now() });
      await renderTokens();
      answerError("UNDER_AGE");
      return showMessage("under-age", S.underAgeNow(0, request?.minAge ?? 13), "refusal");
    }
    const notice =
      code === "PROVIDER_CLOSED"
        ? S.providerClosed
        : code === "POPUP_BLOCKED"
          ? S.popupBlocked
          : S.issuanceRefused(code);
    return showProviders(S.providersHelp, notice);
  }
  status(S.issuing);
  try {
    const tokens = await issueTokens(config, grant, now());
    const claims = readGrant(grant);
    if (claims !== undefined) await recordCheck({ ageOver: claims.ageOver, at: now() });
    await addTokens(tokens);
    status(S.issued(tokens.length));
    await renderTokens();
  } catch (error) {
    status("");
    const code = error instanceof IssueError ? error.code : "ISSUANCE_FAILED";
    if (code === "UNDER_AGE") {
      // the grant attests less than any threshold the gateway issues
      const claims = readGrant(grant);
      await recordCheck({ ageOver: claims?.ageOver ?? 0, at: now() });
    } else {
      return showProviders(S.providersHelp, S.issuanceRefused(code));
    }
  }
  await prepare(true);
}

// ---- answering ----

async function send(token: StoredToken, current: PendingRequest): Promise<void> {
  if (request !== current || current.answered || window.opener === null) return;
  current.answered = true;
  // Held for this site until it reports: a proof endpoint that fails must not cost the token.
  await holdToken(token, current.origin);
  held.set(current.nonce, { token, origin: current.origin });
  post(
    { type: "blindgate:token", nonce: current.nonce, token: token.token, ageOver: token.threshold },
    current.origin,
  );
  show("sending");
  status(S.sending);
}

async function onOutcome(
  origin: string,
  nonce: string,
  ok: boolean,
  code: string | undefined,
): Promise<void> {
  const entry = held.get(nonce);
  if (entry === undefined || entry.origin !== origin) return;
  held.delete(nonce);
  if (afterOutcome({ ok, code }) === "forget") await removeTokens([entry.token.id as number]);
  await renderTokens();
  if (request !== undefined && request.nonce !== nonce) return; // a newer request is on screen
  status("");
  if (ok) {
    const left = (await allTokens()).filter((t) => t.threshold === entry.token.threshold).length;
    const low = left < LOW_TOKENS;
    show("done", para(S.done(entry.token.threshold), "success"), ...(low ? [para(S.lowTokens, "hint")] : []));
    setTimeout(() => window.close(), low ? 2500 : 1200);
    return;
  }
  const reason = code ?? "ERROR";
  showMessage(
    "site-failed",
    afterOutcome({ ok, code }) === "keep" ? S.siteKept(reason) : S.siteRefused(reason),
    "refusal",
  );
}

// ---- what the wallet holds ----

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
  const check = await lastCheck();
  el("wallet-last-check").textContent =
    check === undefined ? "" : S.lastCheck(check.ageOver, dateText(check.at));
}

void main();
