import { grantError, grantMessage, randomId, readMessage } from "@blindgate/sdk/browser";
import { IssueError } from "./issue.js";

/*
 * Getting a grant from a provider: open its page in a popup with this wallet's origin and a random state (nothing
 * about any site), and wait for the grant or the provider's refusal, posted to this origin by that window with
 * that state. A window the person closes by hand ends the wait (PROVIDER_CLOSED): the wallet can offer the
 * providers again instead of waiting forever.
 */

/** How often the wallet looks whether the provider's window is still open. */
const CLOSED_POLL_MS = 300;

export function getGrant(verifyUrl: string): Promise<string> {
  const state = randomId();
  const url = new URL(verifyUrl);
  url.searchParams.set("wallet_origin", location.origin);
  url.searchParams.set("state", state);
  const popup = window.open(url.href, "blindgate-provider", "popup");
  if (popup === null) return Promise.reject(new IssueError("POPUP_BLOCKED"));
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: IssueError | undefined, grant?: string) => {
      if (settled) return;
      settled = true;
      window.removeEventListener("message", onMessage);
      clearInterval(poll);
      if (error !== undefined) reject(error);
      else resolve(grant as string);
    };
    const onMessage = (event: MessageEvent) => {
      if (event.origin !== url.origin || event.source !== popup) return;
      const grant = readMessage(grantMessage, event.data);
      if (grant !== undefined && grant.state === state) return finish(undefined, grant.grant);
      const error = readMessage(grantError, event.data);
      if (error !== undefined && error.state === state) finish(new IssueError(error.code));
    };
    window.addEventListener("message", onMessage);
    const poll = setInterval(() => {
      // A message posted just before the window closed is delivered first: look again after one more task.
      if (popup.closed) setTimeout(() => finish(new IssueError("PROVIDER_CLOSED")), 0);
    }, CLOSED_POLL_MS);
  });
}
