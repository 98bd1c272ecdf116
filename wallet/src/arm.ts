/*
 * Keyjacking defence (issue 9, item 6). A page that opens the wallet can ask the person to "press Enter quickly"
 * and have the key land on the wallet's button. So a button that hands something to a site is never focused on
 * open, and stays disabled until it has been visible for ARM_DELAY_MS without interruption: hiding the page (a
 * tab switch, a minimized window) starts the wait again.
 */

/** How long a button that sends something must have been visible before it works. */
export const ARM_DELAY_MS = 1000;

/**
 * Disable `button` now and enable it once the page has been visible for `delayMs` in a row. Returns a function
 * that stops the arming (the button stays disabled).
 */
export function armAfterVisible(button: HTMLButtonElement, delayMs = ARM_DELAY_MS): () => void {
  button.disabled = true;
  button.dataset.arming = "1";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const start = () => {
    clearTimeout(timer);
    timer = undefined;
    if (document.visibilityState !== "visible") return;
    timer = setTimeout(() => {
      stop();
      button.disabled = false;
      delete button.dataset.arming;
    }, delayMs);
  };
  const stop = () => {
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", start);
  };
  document.addEventListener("visibilitychange", start);
  start();
  return stop;
}
