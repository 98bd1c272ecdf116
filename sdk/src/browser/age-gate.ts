import { BrowserError } from "./errors.js";
import { prove } from "./prove.js";
import { describeError, type Lang, pickLang, STRINGS } from "./strings.js";

/*
 * <age-gate min-age="18" src="/section/adults" wallet="https://gateway.example/wallet/">: content-level gating.
 * The gated HTML is not in the page; the element first asks `src` (which the site serves only with an age
 * session): when the person already proved their age, the section opens without a word to the wallet. Otherwise it
 * shows a prompt and a button, runs prove() on click, then fetches `src` again and shows it. A server that already
 * knows there is no session may say so (`session="none"`): the element then skips that first request (whose 401
 * the browser would log). English or French: the browser's languages decide, the element's `lang` (or the page's)
 * only when none of them is offered. A site whose operator accepts the risk may lift the wallet's first-use wait
 * with `skip-first-use-delay` (prove()'s `skipFirstUseDelay`); without it the wallet waits, as with prove().
 */

/** The attribute of a site's opt-out of the wallet's first-use wait. */
const SKIP_FIRST_USE_DELAY = "skip-first-use-delay";

export interface AgeGateElementOptions {
  /** Custom element name (default "age-gate"). */
  name?: string;
  /** Wallet URL when the element has no `wallet` attribute. */
  walletUrl?: string;
  /** The site's proof endpoint (default "/.well-known/blindgate/proof"). */
  proofPath?: string;
}

/**
 * Register the <age-gate> element. Call once per page; later calls are ignored. Attributes: `min-age`, `src` (the
 * gated HTML, served only with an age session), `wallet` (the wallet's URL), `session="none"` (the server saw no
 * age session: do not try `src` before the proof), `skip-first-use-delay` (ask the wallet not to hold back a first
 * proof right after a fresh age check, prove()'s `skipFirstUseDelay`: present with no value or `"true"`; any other
 * value, `"false"` included, keeps the wait, which is also the default). Skipping the wait lets a gateway that
 * colludes with the site link the person's age check to this visit (docs/threat-model.md): set it only where the
 * site's operator accepts that.
 *
 * @example
 * ```ts
 * import { defineAgeGate } from "@blindgate/sdk/browser";
 * defineAgeGate({ walletUrl: "https://gateway.example/wallet/" });
 * // <age-gate min-age="18" src="/fragments/adults-only"></age-gate>: the wallet keeps its first-use wait
 * // <age-gate min-age="18" src="/fragments/adults-only" skip-first-use-delay></age-gate>: the site lifts it
 * ```
 */
export function defineAgeGate(options: AgeGateElementOptions = {}): void {
  const name = options.name ?? "age-gate";
  if (customElements.get(name) !== undefined) return;

  class AgeGateElement extends HTMLElement {
    connectedCallback(): void {
      if (this.dataset.rendered === "1") return;
      this.dataset.rendered = "1";
      const minAge = Number(this.getAttribute("min-age") ?? "18");
      const lang = pickLang(this.closest("[lang]")?.getAttribute("lang"));
      const strings = STRINGS[lang];
      const prompt = document.createElement("p");
      prompt.setAttribute("part", "prompt");
      prompt.textContent = strings.prompt(minAge);
      const button = document.createElement("button");
      button.type = "button";
      button.setAttribute("part", "prove-button");
      button.textContent = strings.button(minAge);
      button.disabled = true;
      const status = document.createElement("p");
      status.setAttribute("part", "status");
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      status.textContent = strings.checking;
      button.addEventListener("click", () => void this.#prove(minAge, button, status, lang));
      this.replaceChildren(prompt, button, status);
      // The age session first: a person who already proved their age is not sent to the wallet again.
      const probe = this.getAttribute("session") === "none" ? Promise.resolve(false) : this.#open();
      void probe.then((opened) => {
        if (opened) return;
        button.disabled = false;
        status.textContent = "";
      });
    }

    /** Fetch the section; true when the site served it (an age session is open). */
    async #open(): Promise<boolean> {
      const src = this.getAttribute("src");
      if (src === null) return false;
      const response = await fetch(src, { credentials: "same-origin" }).catch(() => undefined);
      if (response === undefined || !response.ok) return false;
      this.innerHTML = await response.text(); // the site's own HTML, served only with an age session
      this.dispatchEvent(new CustomEvent("age-gate-open", { bubbles: true }));
      return true;
    }

    async #prove(minAge: number, button: HTMLButtonElement, status: HTMLElement, lang: Lang): Promise<void> {
      button.disabled = true;
      status.textContent = STRINGS[lang].working;
      try {
        await prove({
          minAge,
          walletUrl: this.getAttribute("wallet") ?? options.walletUrl ?? "",
          ...(options.proofPath === undefined ? {} : { proofPath: options.proofPath }),
          ...(skipsFirstUseDelay(this) ? { skipFirstUseDelay: true } : {}),
          onProgress: (progress) => {
            status.textContent = STRINGS[lang].waiting(progress.wait, progress.secondsLeft);
          },
        });
        if (!(await this.#open()))
          throw new BrowserError("PROOF_REFUSED", "age-gate: the section stayed closed");
      } catch (error) {
        // REPLACED: a newer prove() on this page took over, and reports itself
        const replaced = error instanceof BrowserError && error.code === "REPLACED";
        status.textContent = replaced ? "" : describeError(error, lang);
        button.disabled = false;
      }
    }
  }
  customElements.define(name, AgeGateElement);
}

/** The element lifts the first-use wait: the attribute present, empty or "true"; anything else keeps the wait. */
function skipsFirstUseDelay(element: Element): boolean {
  const value = element.getAttribute(SKIP_FIRST_USE_DELAY);
  return value !== null && (value === "" || value.toLowerCase() === "true");
}
