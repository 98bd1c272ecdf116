import type { Lang } from "@blindgate/sdk/browser";

/*
 * DOM helpers of the wallet page. The page (index.html) has fixed parts (title, the request's text, the status line,
 * the list of tokens) and one panel under the request, rebuilt for each step (`show`), whose `data-view` names the
 * step for tests and styles.
 */

export const el = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

/** The status line (announced politely to screen readers). */
export function setStatus(text: string): void {
  el("wallet-status").textContent = text;
}

export function button(id: string, text: string, onClick: () => void, secondary = false): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.id = id;
  b.textContent = text;
  if (secondary) b.className = "secondary";
  b.addEventListener("click", onClick);
  return b;
}

export function para(text: string, className?: string): HTMLParagraphElement {
  const p = document.createElement("p");
  p.textContent = text;
  if (className !== undefined) p.className = className;
  return p;
}

export function heading(text: string): HTMLHeadingElement {
  const h = document.createElement("h2");
  h.textContent = text;
  return h;
}

export function actions(...buttons: HTMLElement[]): HTMLDivElement {
  const div = document.createElement("div");
  div.className = "actions";
  div.append(...buttons);
  return div;
}

/**
 * A refusal's stable code, under its words and folded away: a person can quote it, a developer look it up, and
 * nobody has to read it.
 */
export function details(label: string, code: string): HTMLDetailsElement {
  const box = document.createElement("details");
  box.className = "details";
  const summary = document.createElement("summary");
  summary.textContent = label;
  const text = document.createElement("code");
  text.className = "code";
  text.textContent = code;
  box.append(summary, text);
  return box;
}

/** Replace the panel with `nodes`, naming the step `view`. */
export function show(view: string, ...nodes: Node[]): void {
  const panel = el("wallet-panel");
  panel.dataset.view = view;
  panel.replaceChildren(...nodes);
}

/** A date in the person's language ("7 December 2026"). */
export function dateText(lang: Lang, at: number): string {
  return new Intl.DateTimeFormat(lang, { dateStyle: "long" }).format(at * 1000);
}
