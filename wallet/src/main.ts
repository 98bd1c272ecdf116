import {
  type Lang,
  pickLang,
  proofOutcome,
  readMessage,
  tokenRequest,
  type WalletErrorCode,
} from "@blindgate/sdk/browser";
import { isKeyAnnounced, type KeyLogEntry } from "@blindgate/sdk/protocol";
import { armAfterVisible } from "./arm.js";
import { obtainCredential } from "./credits.js";
import { DEFAULT_ANONYMITY_SET, expectedIssuances, firstUseDelayMs, waitProgress } from "./first-use.js";
import { getGrant } from "./grant.js";
import { gatewayFetch, IssueError, issueTokens, type WalletConfig } from "./issue.js";
import { keyLogForProof, tokenThresholds } from "./keys.js";
import {
  afterOutcome,
  type ProofPlan,
  planProof,
  readGrant,
  type TokenSupply,
  wantedThreshold,
} from "./plan.js";
import { markUsed } from "./pool.js";
import {
  addTokens,
  allTokens,
  type FirstUse,
  forgetEverything,
  getCredential,
  getFirstUse,
  getKeyLogCache,
  holdToken,
  lastCheck,
  putCredential,
  putFirstUse,
  putUsedThresholds,
  recordCheck,
  removeTokens,
  type StoredToken,
  usedThresholds,
} from "./store.js";
import { WALLET_STRINGS, type WalletStrings } from "./strings.js";
import { backgroundRefill, creditSupply, randomDelay } from "./supply.js";

/*
 * The wallet page. Opened by a site page (prove()) it answers token requests: it shows who asks and for which age,
 * gets a credential and tokens from a provider and the gateway when it has none, and hands one token to the asking
 * page only (postMessage to that page's origin), after the person confirms. Opened directly, it shows what it
 * holds (tokens, credits, when to check the age again), lets the person check their age before any site asks, and
 * delete everything. The site's origin never leaves this page: the wallet's requests go to the gateway and the
 * provider's page, carry no Referer, and say nothing about any site.
 *
 * Timing (docs/wallet.md): a proof answered from the pool makes no request at all; the pools are topped up at
 * moments that are not a proof (supply.ts), and the first proof after a grant waits (first-use.ts).
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
  /** The site asked not to wait after a fresh grant (prove's skipFirstUseDelay). */
  noDelay: boolean;
  /** The threshold that answers the request exactly (set once the key log is read). */
  wanted?: number;
  /** The site has its answer (token, or error); later actions of this page are for the person only. */
  answered: boolean;
}

let config: WalletConfig;
let request: PendingRequest | undefined;
/** Tokens handed out and held until their site reports the outcome, by request nonce. */
const held = new Map<string, { token: StoredToken; origin: string }>();
/** Where fresh tokens of the wanted threshold come from during a proof: the credential's credits. */
const supply: TokenSupply = creditSupply(() => config);
/** Background refills while the wallet page is open on its own: the first one, then every 10 to 20 minutes. */
const FIRST_REFILL_MS: [number, number] = [2_000, 10_000];
const REFILL_EVERY_MS: [number, number] = [600_000, 1_200_000];
/** After a proof was answered and its page told: a refill this many ms later, then the window closes. */
const AFTER_PROOF_MS: [number, number] = [1_000, 4_000];

async function main(): Promise<void> {
  el("wallet-title").textContent = S.title;
  document.title = S.title;
  el("wallet-intro").textContent = S.intro;
  el("wallet-tokens-title").textContent = S.tokensTitle;
  status(S.loading);
  config = (await (await fetch("config.json", { credentials: "omit" })).json()) as WalletConfig;
  if (window.opener === null) {
    await renderTokens();
    status("");
    el("wallet-standalone").textContent = S.standalone;
    el("wallet-standalone").hidden = false;
    showHome();
    scheduleRefills();
    return;
  }
  // Opened by a site: ready first, the list of tokens meanwhile (it is not on the way to Confirm)
  window.addEventListener("message", onMessage);
  window.opener.postMessage({ type: "blindgate:wallet-ready" }, "*");
  await renderTokens();
  if (el("wallet-status").textContent === S.loading) status("");
}

/** Opened on its own: refill a few seconds after opening, then on a random timer while the page stays open. */
function scheduleRefills(): void {
  const next = (range: [number, number]) =>
    setTimeout(
      async () => {
        await refillQuietly();
        next(REFILL_EVERY_MS);
      },
      randomDelay(...range),
    );
  next(FIRST_REFILL_MS);
}

/** A background refill; failures are quiet (the next moment tries again, a refill in flight is kept). */
async function refillQuietly(): Promise<void> {
  try {
    if ((await backgroundRefill(config)) > 0) await renderTokens();
  } catch (error) {
    // offline, or the gateway refused: the pool stays as it is, and the person sees it in the list; the code (never
    // a credential or a token) goes to the console for whoever debugs it
    const code = error instanceof IssueError ? error.code : "REFILL_FAILED";
    console.warn(`blindgate wallet: refill not done (${code})`);
  }
}

// ---- the wallet on its own ----

function showHome(notice?: string): void {
  el("wallet-request").hidden = false;
  el("wallet-request-text").hidden = true;
  show(
    "home",
    ...(notice === undefined ? [] : [para(notice, "success")]),
    actions(
      button("wallet-get-tokens", S.getTokens, () => void showProviders(S.providersStandalone)),
      button("wallet-delete", S.deleteAll, showDelete, true),
    ),
  );
}

function showDelete(): void {
  show(
    "delete",
    heading(S.deleteTitle),
    para(S.deleteText),
    actions(
      button("wallet-delete-keep", S.deleteKeep, () => showHome()),
      button(
        "wallet-delete-confirm",
        S.deleteConfirm,
        async () => {
          await forgetEverything();
          await renderTokens();
          showHome(S.deleted);
        },
        true,
      ),
    ),
  );
}

function onMessage(event: MessageEvent): void {
  if (event.source === null || event.source !== window.opener) return;
  const asked = readMessage(tokenRequest, event.data);
  if (asked !== undefined) {
    onTokenRequest(event.origin, asked.minAge, asked.nonce, asked.noDelay === true);
    return;
  }
  const outcome = readMessage(proofOutcome, event.data);
  if (outcome !== undefined) void onOutcome(event.origin, outcome.nonce, outcome.ok, outcome.code);
}

/** A request: a new one replaces the one shown (the person clicked again, on this site or after navigating). */
function onTokenRequest(origin: string, minAge: number, nonce: string, noDelay: boolean): void {
  const ack = () => post({ type: "blindgate:request-received", nonce }, origin);
  if (request?.nonce === nonce) {
    ack(); // the same request, sent again ("ready" after the first send)
    return;
  }
  if (request !== undefined && !request.answered) answerError("CANCELLED");
  request = { origin, minAge, nonce, noDelay, answered: false };
  ack();
  const text = el("wallet-request-text");
  const who = document.createElement("span");
  who.className = "origin";
  who.textContent = origin;
  text.replaceChildren(who, document.createTextNode(S.asks(minAge)));
  el("wallet-request").hidden = false;
  text.hidden = false;
  text.focus(); // not the confirm button: a key press meant for the site must not send anything
  void prepare();
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
  request === undefined
    ? button("wallet-cancel", S.back, () => showHome(), true)
    : button(
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

/** Find the answer to the current request: a token to confirm, a question, or the providers. */
async function prepare(): Promise<void> {
  const current = request;
  if (current === undefined || current.answered) return;
  status(S.checkingKeys);
  let log: KeyLogEntry[];
  try {
    // the log kept from the last refill when young enough: answering from the pool asks the gateway nothing
    log = await keyLogForProof(config, now());
  } catch (error) {
    if (request !== current) return;
    const code = error instanceof IssueError ? error.code : "KEY_LOG_UNAVAILABLE";
    status("");
    return show(
      "key-log",
      para(code === "KEY_SET_REFUSED" ? S.keySet(code) : S.keyLog(code), "refusal"),
      actions(
        button("wallet-retry", S.tryAgain, () => void prepare()),
        cancelButton(),
      ),
    );
  }
  const usable = (t: StoredToken) => t.notAfter > now() && isKeyAnnounced(log, t.keyId, now());
  const tokens = await allTokens();
  await removeTokens(tokens.filter((t) => !usable(t)).map((t) => t.id as number));
  const thresholds = tokenThresholds(log, now());
  current.wanted = wantedThreshold(current.minAge, thresholds);
  const plan = async (): Promise<ProofPlan> => planProof(await allTokens(), current, thresholds, usable);
  let answer = await plan();
  let refilled = false;
  // Never more than asked: no token of the wanted threshold left, buy some with credits before anything else.
  if (answer.kind !== "exact") {
    const credential = await getCredential();
    if (credential !== undefined && credential.ageOver >= answer.wanted && credential.notAfter > now()) {
      status(S.refilling(answer.wanted));
      if (await supply.refill(answer.wanted)) {
        log = (await getKeyLogCache())?.entries ?? log; // the refill verified a fresh log
        answer = await plan();
        refilled = true;
        await renderTokens();
      }
    }
  }
  if (request !== current) return;
  status("");
  if (answer.kind === "exact") {
    if (!current.noDelay && !(await waitFirstUse(current))) return;
    if (refilled) {
      // tokens bought during this proof: a refill and a check seconds apart; a little random noise at least
      status(S.timingWait);
      await new Promise((resolve) => setTimeout(resolve, randomDelay(500, 2000)));
      if (request !== current) return;
      status("");
    }
    return showConfirm(answer.token, current);
  }
  if (answer.kind === "higher") return showHigher(answer.token, answer.wanted, current);
  const check = await lastCheck();
  if (check !== undefined && check.ageOver < current.minAge) {
    return showBelow(check.ageOver, check.at, current);
  }
  return showProviders(check === undefined ? S.providersHelp : S.providersUsedUp);
}

/**
 * The first proof after a fresh grant waits (first-use.ts), with a progress bar and the reason; no request leaves
 * the wallet meanwhile. False when the request was replaced or answered during the wait.
 */
async function waitFirstUse(current: PendingRequest): Promise<boolean> {
  const firstUse = await getFirstUse();
  if (firstUse === undefined || Date.now() >= firstUse.until) return true;
  const bar = document.createElement("progress");
  bar.id = "wallet-first-use";
  bar.max = 100;
  bar.setAttribute("aria-label", S.firstUseProgress);
  bar.dataset.until = String(firstUse.until);
  bar.dataset.waitMs = String(Math.max(0, firstUse.until - Date.now()));
  const left = para("", "hint");
  show(
    "first-use-wait",
    heading(S.firstUseTitle),
    para(S.firstUseText(firstUse.k, expectedIssuances(firstUse.rate, firstUse.waitMs))),
    bar,
    left,
    actions(cancelButton()),
  );
  await new Promise<void>((resolve) => {
    const tick = () => {
      const nowMs = Date.now();
      bar.value = Math.round(waitProgress(firstUse, nowMs) * 100);
      left.textContent = S.firstUseLeft(Math.max(0, Math.ceil((firstUse.until - nowMs) / 1000)));
      if (nowMs >= firstUse.until || request !== current || current.answered) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 250);
    tick();
  });
  return request === current && !current.answered;
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
      if (request === undefined) return showHome(S.underAgeNow(0, 13));
      answerError("UNDER_AGE");
      return showMessage("under-age", S.underAgeNow(0, request.minAge), "refusal");
    }
    const notice =
      code === "PROVIDER_CLOSED"
        ? S.providerClosed
        : code === "POPUP_BLOCKED"
          ? S.popupBlocked
          : S.issuanceRefused(code);
    return showProviders(request === undefined ? S.providersStandalone : S.providersHelp, notice);
  }
  status(S.issuing);
  let received: number;
  try {
    received = await issue(grant);
  } catch (error) {
    status("");
    const code = error instanceof IssueError ? error.code : "ISSUANCE_FAILED";
    if (code !== "UNDER_AGE")
      return showProviders(
        request === undefined ? S.providersStandalone : S.providersHelp,
        S.issuanceRefused(code),
      );
    // the grant attests less than any threshold the gateway issues
    const claims = readGrant(grant);
    await recordCheck({ ageOver: claims?.ageOver ?? 0, at: now() });
    await renderTokens();
    if (request === undefined) return showHome(S.underAgeNow(claims?.ageOver ?? 0, 13));
    answerError("UNDER_AGE");
    return showMessage("under-age", S.underAgeNow(claims?.ageOver ?? 0, request.minAge), "refusal");
  }
  status(S.issued(received));
  await renderTokens();
  if (request === undefined) {
    status("");
    return showHome(S.readyNow(received));
  }
  const check = await lastCheck();
  if (check !== undefined && check.ageOver < request.minAge) {
    answerError("UNDER_AGE");
    return showMessage("under-age", S.underAgeNow(check.ageOver, request.minAge), "refusal");
  }
  await prepare();
}

/**
 * Spend a grant: a credential and a first batch (a gateway without credit keys: a plain batch), the age check
 * recorded, and the first-use wait drawn. The number of tokens received.
 */
async function issue(grant: string): Promise<number> {
  const claims = readGrant(grant);
  const obtained = await obtainCredential(config, grant, now());
  let tokens: StoredToken[];
  let rate: number | undefined;
  if (obtained === undefined) {
    tokens = await issueTokens(config, grant, now());
  } else {
    tokens = obtained.tokens;
    rate = obtained.issuancesPerHour;
    await putCredential(obtained.credential);
  }
  await addTokens(tokens);
  if (claims !== undefined) await recordCheck({ ageOver: claims.ageOver, at: now() });
  const k = config.firstUseAnonymitySet ?? DEFAULT_ANONYMITY_SET;
  const waitMs = firstUseDelayMs(rate, k);
  const firstUse: FirstUse = {
    until: Date.now() + waitMs,
    waitMs,
    k,
    ...(rate === undefined ? {} : { rate }),
  };
  await putFirstUse(firstUse);
  return tokens.length;
}

// ---- answering ----

async function send(token: StoredToken, current: PendingRequest): Promise<void> {
  if (request !== current || current.answered || window.opener === null) return;
  current.answered = true;
  // Held for this site until it reports: a proof endpoint that fails must not cost the token.
  await holdToken(token, current.origin);
  // the threshold asked (not a higher one revealed by consent) keeps a pool from now on; no site is kept
  await putUsedThresholds(markUsed(await usedThresholds(), current.wanted ?? token.threshold, now()));
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
    const credits = (await getCredential())?.credits ?? 0;
    const low = left < LOW_TOKENS && credits === 0;
    show("done", para(S.done(entry.token.threshold), "success"), ...(low ? [para(S.lowTokens, "hint")] : []));
    // The page has its answer: top the pools up a few random seconds later, then close (unless a newer request
    // came in meanwhile).
    setTimeout(
      async () => {
        await refillQuietly();
        if (request === undefined || request.nonce === nonce) window.close();
      },
      randomDelay(...AFTER_PROOF_MS) + (low ? 1500 : 0),
    );
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
  const credential = await getCredential();
  const live = credential !== undefined && credential.notAfter > now();
  el("wallet-credits").textContent = !live
    ? check === undefined
      ? ""
      : S.noCredits
    : credential.credits > 0
      ? S.credits(credential.credits, credential.ageOver)
      : S.noCredits;
  el("wallet-credits").dataset.credits = live ? String(credential.credits) : "0";
  el("wallet-due").textContent = live ? S.due(dateText(credential.notAfter)) : "";
  if (live) el("wallet-due").dataset.notAfter = String(credential.notAfter);
  else delete el("wallet-due").dataset.notAfter;
}

void main();
