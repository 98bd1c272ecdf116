import type { App } from "./app.js";
import { now } from "./app.js";
import { obtainCredential } from "./credits.js";
import { DEFAULT_ANONYMITY_SET, firstUseDelayMs } from "./first-use.js";
import { getGrant } from "./grant.js";
import { renderTokens } from "./holdings.js";
import { showHome } from "./home.js";
import { gatewayFetch, IssueError, issueTokens } from "./issue.js";
import { gatewayKeys, keyLogForProof, tokenThresholds } from "./keys.js";
import { readGrant } from "./plan.js";
import { prepare } from "./proof.js";
import { answerError, cancelButton, showMessage } from "./request.js";
import {
  addTokens,
  type FirstUse,
  lastCheck,
  putCredential,
  putFirstUse,
  recordCheck,
  type StoredToken,
} from "./store.js";
import { actions, button, details, heading, para, setStatus, show } from "./ui.js";

/*
 * The provider flow: the person picks a provider, checks their age in its window (grant.ts), and the grant is
 * spent at the gateway for a credential and a first batch. Every way it can end is told here in words: the
 * providers are offered again after a refusal or a closed window; a check below the age asked ends the request
 * ("not proven" for the site) in one place, `underAge`.
 */

interface ProviderEntry {
  id: string;
  name: string;
  /** The name in other languages, when the gateway lists them (by language tag: "fr"). */
  names?: Partial<Record<string, string>>;
  verifyUrl: string;
}

/**
 * The providers the gateway lists, to pick one; `help` says why the person is here, `notice` what just failed (its
 * code folded away under it).
 */
export async function showProviders(app: App, help: string, notice?: string, code?: string): Promise<void> {
  const { S } = app;
  const current = app.request;
  let providers: ProviderEntry[] = [];
  try {
    const response = await gatewayFetch(`${app.config.gatewayUrl}/v1/providers`);
    providers = ((await response.json()) as { providers: ProviderEntry[] }).providers;
  } catch {
    providers = [];
  }
  if (app.request !== current) return;
  if (providers.length === 0) {
    answerError(app, "NO_PROVIDER");
    return showMessage(app, "no-provider", S.noProvider, "refusal");
  }
  const list = document.createElement("ul");
  list.id = "wallet-provider-list";
  list.append(
    ...providers.map((p) => {
      const li = document.createElement("li");
      const b = button(
        `wallet-provider-${p.id}`,
        S.useProvider(p.names?.[app.lang] ?? p.name),
        () => void useProvider(app, p.verifyUrl),
      );
      b.dataset.providerId = p.id;
      li.append(b);
      return li;
    }),
  );
  show(
    "providers",
    ...(notice === undefined ? [] : [para(notice, "refusal")]),
    ...(code === undefined ? [] : [details(S.details, code)]),
    heading(S.providersTitle),
    para(help),
    list,
    actions(cancelButton(app)),
  );
}

async function useProvider(app: App, verifyUrl: string): Promise<void> {
  const { S } = app;
  const providersAgain = (notice: string, code?: string) =>
    showProviders(app, app.request === undefined ? S.providersStandalone : S.providersHelp, notice, code);
  setStatus(S.waitingProvider);
  const asked = app.request;
  const waiting = getGrant(
    verifyUrl,
    asked?.ageBelow === undefined ? undefined : { from: asked.minAge, below: asked.ageBelow },
  );
  // the wallet cannot see the provider's window (it has no opener): the person says when it is closed
  show(
    "waiting-provider",
    para(S.waitingProvider),
    actions(
      button("wallet-provider-again", S.providerAgain, () => waiting.abandon(), true),
      cancelButton(app),
    ),
  );
  let grant: string;
  try {
    grant = await waiting.grant;
  } catch (error) {
    setStatus("");
    const code = error instanceof IssueError ? error.code : "PROVIDER_ERROR";
    if (code === "UNDER_AGE") return underAge(app, 0);
    // the person left the provider's page before any answer (its way back says CANCELLED), or said it is closed
    const closed = code === "PROVIDER_CLOSED" || code === "CANCELLED";
    return closed ? providersAgain(S.providerClosed) : providersAgain(S.issuanceRefused(code), code);
  }
  setStatus(S.issuing);
  let received: number;
  try {
    received = await issue(app, grant);
  } catch (error) {
    setStatus("");
    const code = error instanceof IssueError ? error.code : "ISSUANCE_FAILED";
    // the grant attests less than any threshold the gateway issues
    if (code === "UNDER_AGE") return underAge(app, readGrant(grant)?.ageOver ?? 0);
    return providersAgain(S.issuanceRefused(code), code);
  }
  setStatus(S.issued(received));
  await renderTokens(app);
  if (app.request === undefined) {
    setStatus("");
    return showHome(app, S.readyNow(received));
  }
  const check = await lastCheck();
  // a band ask: prepare() says why when the check does not fit (an adult at a teens' room, a child)
  if (check !== undefined && check.ageOver < app.request.minAge && app.request.ageBelow === undefined)
    return underAge(app, check.ageOver);
  await prepare(app);
}

/**
 * The check says younger than asked (or younger than any age the gateway issues for): remember it, so the person is
 * not sent to a provider at every attempt; the site is answered "not proven", and the person told why.
 */
async function underAge(app: App, ageOver: number): Promise<void> {
  const { S } = app;
  await recordCheck({ ageOver, at: now() });
  await renderTokens(app);
  const lowest = await lowestAge(app);
  if (app.request === undefined) return showHome(app, S.underAgeNow(ageOver, lowest, lowest));
  answerError(app, "NOT_PROVEN");
  return showMessage(app, "under-age", S.underAgeNow(ageOver, app.request.minAge, lowest), "refusal");
}

/** The lowest age the gateway issues tokens for (undefined when its key log cannot be read). */
export async function lowestAge(app: App): Promise<number | undefined> {
  try {
    const ages = [...tokenThresholds(await keyLogForProof(app.config, now()), now())];
    return ages.length === 0 ? undefined : Math.min(...ages);
  } catch {
    return undefined;
  }
}

/**
 * Spend a grant: a credential and a first batch (a gateway without credit keys: a plain batch), the age check
 * recorded, and the first-use wait drawn. The number of tokens received.
 */
async function issue(app: App, grant: string): Promise<number> {
  const { config } = app;
  const claims = readGrant(grant);
  const obtained = await obtainCredential(config, grant, now());
  let tokens: StoredToken[];
  let rate: number | undefined;
  if (obtained === undefined) {
    tokens = await issueTokens(config, grant, await gatewayKeys(config, now()));
  } else {
    tokens = obtained.tokens;
    rate = obtained.issuancesPerHour;
    await putCredential(obtained.credential);
  }
  await addTokens(tokens);
  if (claims !== undefined)
    await recordCheck({
      ageOver: claims.ageOver,
      ...(claims.ageBelow === undefined ? {} : { ageBelow: claims.ageBelow }),
      at: now(),
    });
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
