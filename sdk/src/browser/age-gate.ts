import { BrowserError } from "./errors.js";
import { prove } from "./prove.js";
import { pickLang, STRINGS } from "./strings.js";

/*
 * <age-gate min-age="18" src="/section/adults" wallet="https://gateway.example/wallet/">: content-level gating.
 * The gated HTML is not in the page; the element shows a prompt and a button, runs prove() on click, then fetches
 * `src` (which the site serves only with an age session) and shows it. English or French, from the element's
 * `lang` (or the page's) or the browser's language.
 */

export interface AgeGateElementOptions {
  /** Custom element name (default "age-gate"). */
  name?: string;
  /** Wallet URL when the element has no `wallet` attribute. */
  walletUrl?: string;
  /** The site's proof endpoint (default "/.well-known/blindgate/proof"). */
  proofPath?: string;
}

/**
 * Register the <age-gate> element. Call once per page; later calls are ignored.
 *
 * @example
 * ```ts
 * import { defineAgeGate } from "@blindgate/sdk/browser";
 * defineAgeGate({ walletUrl: "https://gateway.example/wallet/" });
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
      const strings = STRINGS[pickLang(this.closest("[lang]")?.getAttribute("lang"))];
      const prompt = document.createElement("p");
      prompt.textContent = strings.prompt(minAge);
      const button = document.createElement("button");
      button.type = "button";
      button.setAttribute("part", "prove-button");
      button.textContent = strings.button(minAge);
      const status = document.createElement("p");
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      button.addEventListener("click", () => this.#prove(minAge, button, status, strings));
      this.replaceChildren(prompt, button, status);
    }

    async #prove(
      minAge: number,
      button: HTMLButtonElement,
      status: HTMLElement,
      strings: (typeof STRINGS)[keyof typeof STRINGS],
    ): Promise<void> {
      button.disabled = true;
      status.textContent = strings.working;
      try {
        await prove({
          minAge,
          walletUrl: this.getAttribute("wallet") ?? options.walletUrl ?? "",
          ...(options.proofPath === undefined ? {} : { proofPath: options.proofPath }),
        });
        const src = this.getAttribute("src");
        if (src === null) throw new BrowserError("PROOF_REFUSED", "age-gate: no src");
        const response = await fetch(src, { credentials: "same-origin" });
        if (!response.ok) throw new BrowserError("PROOF_REFUSED", `age-gate: ${response.status}`);
        this.innerHTML = await response.text(); // the site's own HTML, served only after the proof
        this.dispatchEvent(new CustomEvent("age-gate-open", { bubbles: true }));
      } catch (error) {
        status.textContent = strings.failed(error instanceof BrowserError ? error.code : "ERROR");
        button.disabled = false;
      }
    }
  }
  customElements.define(name, AgeGateElement);
}
