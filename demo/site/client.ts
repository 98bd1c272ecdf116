import { BrowserError, defineAgeGate, describeError, pickLang, prove, STRINGS } from "@blindgate/sdk/browser";

/*
 * The demo site's pages in the browser: the <age-gate> element for gated sections, and the "Prove my age" buttons
 * of gated rooms (data-prove = the age asked, data-prove-below = the band's upper end, exclusive, for the teens'
 * room; data-wallet = the wallet's URL), which reload once the session is set.
 * A refusal is told in words (the SDK's, in the browser's language). While the wallet holds the person back (the
 * first proof after an age check waits up to a minute, so the gateway cannot match the two by time), this tab says
 * why and how long, from the wallet's progress messages: otherwise it looks stuck. A second click while the wallet
 * is open brings the wallet forward with the new request (prove() replaces the pending one).
 */

defineAgeGate();
const lang = pickLang(document.documentElement.lang);

for (const button of document.querySelectorAll<HTMLButtonElement>("[data-prove]")) {
  button.addEventListener("click", async () => {
    const status = document.getElementById("prove-status");
    if (status !== null) status.textContent = STRINGS[lang].working;
    try {
      const below = button.dataset.proveBelow;
      await prove({
        minAge: Number(button.dataset.prove),
        ...(below === undefined ? {} : { ageBelow: Number(below) }),
        walletUrl: button.dataset.wallet ?? "",
        onProgress: ({ wait, secondsLeft }) => {
          if (status !== null) status.textContent = STRINGS[lang].waiting(wait, secondsLeft);
        },
      });
      location.reload();
    } catch (error) {
      if (error instanceof BrowserError && error.code === "REPLACED") return; // the newer click reports
      if (status !== null) status.textContent = describeError(error, lang);
    }
  });
}
