import type { App } from "./app.js";
import { now } from "./app.js";
import { lowestAge } from "./provider-flow.js";
import { allTokens, getCredential, lastCheck } from "./store.js";
import { dateText, el } from "./ui.js";

/*
 * What the wallet holds, shown under every step: tokens per threshold, the credits left and up to which age they buy
 * tokens, when the age must be checked again (the credential's end), and the last check.
 */

export async function renderTokens(app: App): Promise<void> {
  const { S, lang } = app;
  // one line per key interval: thresholds ("13 or older") and bands ("13 to 17") apart
  const counts = new Map<string, { from: number; below?: number; n: number }>();
  for (const t of await allTokens()) {
    if (t.notAfter <= now()) continue;
    const key = `${t.threshold}-${t.below ?? ""}`;
    const line = counts.get(key) ?? {
      from: t.threshold,
      ...(t.below === undefined ? {} : { below: t.below }),
      n: 0,
    };
    line.n++;
    counts.set(key, line);
  }
  const list = el("wallet-token-list");
  const items = [...counts.values()]
    .sort(
      (a, b) =>
        a.from - b.from || (a.below ?? Number.POSITIVE_INFINITY) - (b.below ?? Number.POSITIVE_INFINITY),
    )
    .map((line) => {
      const li = document.createElement("li");
      li.textContent = S.tokensLine(line.from, line.n, line.below);
      return li;
    });
  const check = await lastCheck();
  // a child's wallet: no tokens because of the age, not "yet"; and no "when the tokens above are used up"
  const child = items.length === 0 && check !== undefined && check.ageOver === 0;
  if (items.length === 0) {
    const li = document.createElement("li");
    li.textContent = child ? S.noneChild(await lowestAge(app)) : S.none;
    items.push(li);
  }
  list.replaceChildren(...items);
  el("wallet-last-check").textContent =
    check === undefined ? "" : S.lastCheck(check.ageOver, dateText(lang, check.at));
  const credential = await getCredential();
  const live = credential !== undefined && credential.notAfter > now();
  el("wallet-credits").textContent = !live
    ? check === undefined || child
      ? ""
      : S.noCredits
    : credential.credits > 0
      ? S.credits(credential.credits, credential.ageOver)
      : S.noCredits;
  el("wallet-credits").dataset.credits = live ? String(credential.credits) : "0";
  el("wallet-due").textContent = live ? S.due(dateText(lang, credential.notAfter)) : "";
  if (live) el("wallet-due").dataset.notAfter = String(credential.notAfter);
  else delete el("wallet-due").dataset.notAfter;
}
