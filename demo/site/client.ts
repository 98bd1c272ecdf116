import { BrowserError, type BrowserErrorCode, defineAgeGate, prove } from "@blindgate/sdk/browser";

/*
 * The demo site's pages in the browser: the <age-gate> element for gated sections, and the "Prove my age" buttons
 * of gated rooms (data-prove = the age asked, data-wallet = the wallet's URL), which reload once the session is set.
 * A refusal is told in words, with the SDK's stable code after it.
 */

const REASONS: Record<BrowserErrorCode, string> = {
  POPUP_BLOCKED: "Your browser blocked the wallet's window. Allow pop-ups for this site and try again.",
  CANCELLED: "You closed the wallet before it answered.",
  NO_PROVIDER: "The wallet has no age-check provider to offer right now.",
  WALLET_UNAVAILABLE: "The wallet did not answer. Try again in a moment.",
  UNDER_AGE: "Your age check does not reach the age this room asks for.",
  PROOF_REFUSED: "The site could not accept that proof. Try again.",
};

defineAgeGate();

for (const button of document.querySelectorAll<HTMLButtonElement>("[data-prove]")) {
  button.addEventListener("click", async () => {
    const status = document.getElementById("prove-status");
    button.disabled = true;
    if (status !== null) status.textContent = "Waiting for your wallet…";
    try {
      await prove({ minAge: Number(button.dataset.prove), walletUrl: button.dataset.wallet ?? "" });
      location.reload();
    } catch (error) {
      const reason =
        error instanceof BrowserError ? `${REASONS[error.code]} (${error.code})` : "Not proven (ERROR).";
      if (status !== null) status.textContent = `Not proven. ${reason}`;
      button.disabled = false;
    }
  });
}
