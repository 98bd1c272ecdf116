/*
 * Consent that a page cannot trick out of the person. A page that opens the wallet can ask the person to "press
 * Enter quickly", "press Tab then Enter", or to click fast where the wallet's Confirm will appear, and have the
 * keys or clicks land on the wallet. So a button that hands something to a site:
 *
 * - is never focused by the wallet, and stays disabled until it has been visible for ARM_DELAY_MS without
 *   interruption: hiding the page (a tab switch, a minimized window) starts the wait again, and so does any click
 *   or key press that lands on the page meanwhile (a person who is reading does not press anything; a person
 *   hammering a key or the mouse for a game never lets it arm);
 * - once armed, takes a click of the pointer at once, but a keyboard activation (Enter, Space: a click with
 *   `detail` 0) only when the button has had the focus for ARM_DELAY_MS: Tab then Enter in one go is a game's move,
 *   a person who tabbed to the button and read its label presses Enter a moment later.
 */

/** How long a button that sends something must have been visible (and focused, for a key) before it works. */
export const ARM_DELAY_MS = 1000;

/** The events that restart the arming when they land during it. */
const INTERRUPTIONS = ["pointerdown", "keydown"] as const;

export interface ArmOptions {
  delayMs?: number;
  /** The button works now (e.g. to take away the "take a second to read" hint). */
  onArmed?: () => void;
  /** A click or key press landed during the arming, which started again. */
  onInterrupted?: () => void;
}

/**
 * Disable `button` now and enable it once the page has been visible for `delayMs` in a row with no click or key
 * press; from then on, guard its keyboard activation as above. Returns a function that stops the arming (the
 * button stays disabled).
 */
export function armAfterVisible(button: HTMLButtonElement, options: ArmOptions = {}): () => void {
  const delayMs = options.delayMs ?? ARM_DELAY_MS;
  button.disabled = true;
  button.dataset.arming = "1";
  let timer: ReturnType<typeof setTimeout> | undefined;
  let focusedAt: number | undefined;
  const start = () => {
    clearTimeout(timer);
    timer = undefined;
    if (document.visibilityState !== "visible") return;
    timer = setTimeout(() => {
      stop();
      button.disabled = false;
      delete button.dataset.arming;
      options.onArmed?.();
    }, delayMs);
  };
  const interrupted = () => {
    // restart the CSS animation too, so the person sees the wait begin again
    delete button.dataset.arming;
    void button.offsetWidth;
    button.dataset.arming = "1";
    start();
    options.onInterrupted?.();
  };
  const stop = () => {
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", start);
    for (const type of INTERRUPTIONS) window.removeEventListener(type, interrupted, true);
  };
  document.addEventListener("visibilitychange", start);
  for (const type of INTERRUPTIONS) window.addEventListener(type, interrupted, true);
  button.addEventListener("focus", () => {
    focusedAt = Date.now();
  });
  button.addEventListener("blur", () => {
    focusedAt = undefined;
  });
  // Capture on the button itself runs before the listeners that send: a keyboard activation too soon after the
  // focus came to the button is dropped here.
  button.addEventListener(
    "click",
    (event) => {
      const byKeyboard = event.detail === 0;
      if (byKeyboard && (focusedAt === undefined || Date.now() - focusedAt < delayMs)) {
        event.stopImmediatePropagation();
        event.preventDefault();
      }
    },
    { capture: true },
  );
  start();
  return stop;
}
