import { BrowserError, type BrowserErrorCode } from "./errors.js";
import { type ProveProgress, prove } from "./prove.js";
import { describeError, errorCode, type Lang, pickLang, STRINGS } from "./strings.js";

/*
 * <age-gate min-age="18" src="/section/adults" wallet="https://gateway.example/wallet/">: content-level gating.
 * The gated HTML is not in the page; the element first asks `src` (which the site serves only with an age
 * session): when the person already proved their age, the section opens without a word to the wallet. Otherwise it
 * shows a prompt and a button, runs prove() on click, then fetches `src` again and shows it. A server that already
 * knows there is no session may say so (`session="none"`): the element then skips that first request (whose 401
 * the browser would log). `age-below` makes it a room for an age band ("13 to 17": min-age 13, age-below 18). English
 * or French: the browser's languages decide, the element's `lang` (or the page's) only when none of them is offered.
 * A site whose operator accepts the risk may ask the wallet to lift its first-use wait with `skip-first-use-delay`
 * (prove()'s `skipFirstUseDelay`; the wallet asks the person); without it the wallet waits, as with prove().
 *
 * Events (bubbling CustomEvents, typed in AgeGateEventMap): `age-gate-open` (the section is shown), `age-gate-proved`
 * (a proof from this page opened it), `age-gate-refused` (not proven, or the site refused the proof),
 * `age-gate-error` (the wallet or the site could not be reached), `age-gate-progress` (the wallet makes the person
 * wait, and says why). The visitor sees words; the codes are in the events' details.
 */

/** The attribute of a site's opt-out of the wallet's first-use wait. */
const SKIP_FIRST_USE_DELAY = "skip-first-use-delay";

/** Codes after which the element says "refused" rather than "error": the person, their age or the site said no. */
const REFUSALS: readonly BrowserErrorCode[] = ["NOT_PROVEN", "PROOF_REFUSED"];

/** The details of <age-gate>'s own events. */
export interface AgeGateEventDetails {
  "age-gate-open": null;
  "age-gate-proved": { ageOver: number; ageBelow?: number };
  "age-gate-refused": { code: BrowserErrorCode; siteCode?: string };
  "age-gate-error": { code: BrowserErrorCode; siteCode?: string };
  "age-gate-progress": ProveProgress;
}

/** The events of <age-gate>, for addEventListener. */
export type AgeGateEventMap = HTMLElementEventMap & {
  [K in keyof AgeGateEventDetails]: CustomEvent<AgeGateEventDetails[K]>;
};

/**
 * The <age-gate> element, typed: `document.querySelector("age-gate")` is one, and its events carry their details.
 *
 * @example
 * ```ts
 * document.querySelector("age-gate")?.addEventListener("age-gate-proved", (e) => console.log(e.detail.ageOver));
 * ```
 */
export interface AgeGateElement extends HTMLElement {
  addEventListener<K extends keyof AgeGateEventMap>(
    type: K,
    listener: (this: AgeGateElement, event: AgeGateEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof AgeGateEventMap>(
    type: K,
    listener: (this: AgeGateElement, event: AgeGateEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | EventListenerOptions,
  ): void;
}

/**
 * The attributes of <age-gate>, for JSX typings (React: add `"age-gate": AgeGateAttributes` to the
 * `IntrinsicElements` of your JSX namespace; docs/site-guide.md shows it).
 */
export interface AgeGateAttributes {
  "min-age"?: number | string;
  "age-below"?: number | string;
  src?: string;
  wallet?: string;
  session?: "none";
  "skip-first-use-delay"?: boolean | "" | "true";
  lang?: string;
}

declare global {
  interface HTMLElementTagNameMap {
    "age-gate": AgeGateElement;
  }
}

export interface AgeGateElementOptions {
  /** Custom element name (default "age-gate"). */
  name?: string;
  /** Wallet URL when the element has no `wallet` attribute. */
  walletUrl?: string;
  /** The site's proof endpoint (default "/.well-known/blindgate/proof"). */
  proofPath?: string;
}

/**
 * Register the <age-gate> element. Call once per page; later calls are ignored. Attributes: `min-age`, `age-below`
 * (optional: an age band, exclusive upper end), `src` (the gated HTML, served only with an age session), `wallet`
 * (the wallet's URL), `session="none"` (the server saw no age session: do not try `src` before the proof),
 * `skip-first-use-delay` (ask the wallet not to hold back a first proof right after a fresh age check, prove()'s
 * `skipFirstUseDelay`: present with no value or `"true"`; any other value, `"false"` included, keeps the wait, which
 * is also the default; the wallet asks the person). Skipping the wait lets a gateway that colludes with the site link
 * the person's age check to this visit (docs/threat-model.md): set it only where the site's operator accepts that.
 *
 * @example
 * ```ts
 * import { defineAgeGate } from "@blindgate/sdk/browser";
 * defineAgeGate({ walletUrl: "https://gateway.example/wallet/" });
 * // <age-gate min-age="18" src="/fragments/adults-only"></age-gate>
 * // <age-gate min-age="13" age-below="18" src="/fragments/teens-only"></age-gate>: 13 to 17, no adults
 * ```
 */
export function defineAgeGate(options: AgeGateElementOptions = {}): void {
  const name = options.name ?? "age-gate";
  if (customElements.get(name) !== undefined) return;

  class AgeGate extends HTMLElement {
    connectedCallback(): void {
      if (this.dataset.rendered === "1") return;
      this.dataset.rendered = "1";
      const minAge = Number(this.getAttribute("min-age") ?? "18");
      const below = this.getAttribute("age-below");
      const ageBelow = below === null || below === "" ? undefined : Number(below);
      const lang = pickLang(this.closest("[lang]")?.getAttribute("lang"));
      const strings = STRINGS[lang];
      const prompt = document.createElement("p");
      prompt.setAttribute("part", "prompt");
      prompt.textContent =
        ageBelow === undefined ? strings.prompt(minAge) : strings.promptBand(minAge, ageBelow);
      const button = document.createElement("button");
      button.type = "button";
      button.setAttribute("part", "prove-button");
      button.textContent =
        ageBelow === undefined ? strings.button(minAge) : strings.buttonBand(minAge, ageBelow);
      button.disabled = true;
      const status = document.createElement("p");
      status.setAttribute("part", "status");
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      status.textContent = strings.checking;
      button.addEventListener("click", () => void this.#prove(minAge, ageBelow, button, status, lang));
      this.replaceChildren(prompt, button, status);
      // The age session first: a person who already proved their age is not sent to the wallet again.
      const probe = this.getAttribute("session") === "none" ? Promise.resolve(false) : this.#open();
      void probe.then((opened) => {
        if (opened) return;
        button.disabled = false;
        status.textContent = "";
      });
    }

    #emit<K extends keyof AgeGateEventDetails>(type: K, detail: AgeGateEventDetails[K]): void {
      this.dispatchEvent(new CustomEvent(type, { bubbles: true, detail }));
    }

    /** Fetch the section; true when the site served it (an age session is open). */
    async #open(): Promise<boolean> {
      const src = this.getAttribute("src");
      if (src === null) return false;
      const response = await fetch(src, { credentials: "same-origin" }).catch(() => undefined);
      if (response === undefined || !response.ok) return false;
      this.innerHTML = await response.text(); // the site's own HTML, served only with an age session
      this.#emit("age-gate-open", null);
      return true;
    }

    async #prove(
      minAge: number,
      ageBelow: number | undefined,
      button: HTMLButtonElement,
      status: HTMLElement,
      lang: Lang,
    ): Promise<void> {
      button.disabled = true;
      status.textContent = STRINGS[lang].working;
      delete status.dataset.code;
      try {
        const proved = await prove({
          minAge,
          ...(ageBelow === undefined ? {} : { ageBelow }),
          walletUrl: this.getAttribute("wallet") ?? options.walletUrl ?? "",
          ...(options.proofPath === undefined ? {} : { proofPath: options.proofPath }),
          ...(skipsFirstUseDelay(this) ? { skipFirstUseDelay: true } : {}),
          onProgress: (progress) => {
            status.textContent = STRINGS[lang].waiting(progress.wait, progress.secondsLeft);
            this.#emit("age-gate-progress", progress);
          },
        });
        if (!(await this.#open()))
          throw new BrowserError("PROOF_REFUSED", "age-gate: the section stayed closed");
        this.#emit("age-gate-proved", proved);
      } catch (error) {
        // REPLACED: a newer prove() on this page took over, and reports itself
        if (error instanceof BrowserError && error.code === "REPLACED") {
          status.textContent = "";
        } else {
          // words for the person; the code for the page's scripts and whoever debugs it
          status.textContent = describeError(error, lang);
          status.dataset.code = errorCode(error);
          const code: BrowserErrorCode = error instanceof BrowserError ? error.code : "WALLET_UNAVAILABLE";
          const detail = {
            code,
            ...(error instanceof BrowserError && error.siteCode !== undefined
              ? { siteCode: error.siteCode }
              : {}),
          };
          this.#emit(REFUSALS.includes(code) ? "age-gate-refused" : "age-gate-error", detail);
        }
        button.disabled = false;
      }
    }
  }
  customElements.define(name, AgeGate);
}

/** The element lifts the first-use wait: the attribute present, empty or "true"; anything else keeps the wait. */
function skipsFirstUseDelay(element: Element): boolean {
  const value = element.getAttribute(SKIP_FIRST_USE_DELAY);
  return value !== null && (value === "" || value.toLowerCase() === "true");
}
