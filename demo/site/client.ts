import { defineAgeGate, prove } from "@blindgate/sdk/browser";

/*
 * The demo site's pages in the browser: the <age-gate> element for gated sections, and the "Prove" buttons of
 * gated rooms (data-prove = the age asked, data-wallet = the wallet's URL), which reload once the session is set.
 */

defineAgeGate();

for (const button of document.querySelectorAll<HTMLButtonElement>("[data-prove]")) {
  button.addEventListener("click", async () => {
    const status = document.getElementById("prove-status");
    button.disabled = true;
    try {
      await prove({ minAge: Number(button.dataset.prove), walletUrl: button.dataset.wallet ?? "" });
      location.reload();
    } catch (error) {
      const code = (error as { code?: string }).code ?? "ERROR";
      if (status !== null) status.textContent = `Not proven (${code}).`;
      button.disabled = false;
    }
  });
}
