import type { App } from "./app.js";
import { renderTokens } from "./holdings.js";
import { showProviders } from "./provider-flow.js";
import { forgetEverything } from "./store.js";
import { actions, button, el, heading, para, show } from "./ui.js";

/*
 * The wallet opened on its own: what it holds (holdings.ts), "Check my age now" (a provider, then a credential and a
 * first batch, before any site asks) and "Delete everything" (asked once more).
 */

export function showHome(app: App, notice?: string): void {
  const { S } = app;
  el("wallet-request").hidden = false;
  el("wallet-request-text").hidden = true;
  show(
    "home",
    ...(notice === undefined ? [] : [para(notice, "success")]),
    actions(
      button("wallet-get-tokens", S.getTokens, () => void showProviders(app, S.providersStandalone)),
      button("wallet-delete", S.deleteAll, () => showDelete(app), true),
    ),
  );
}

function showDelete(app: App): void {
  const { S } = app;
  show(
    "delete",
    heading(S.deleteTitle),
    para(S.deleteText),
    actions(
      button("wallet-delete-keep", S.deleteKeep, () => showHome(app)),
      button(
        "wallet-delete-confirm",
        S.deleteConfirm,
        async () => {
          await forgetEverything();
          await renderTokens(app);
          showHome(app, S.deleted);
        },
        true,
      ),
    ),
  );
}
