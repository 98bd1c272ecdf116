import {
  GRANT_CHANNEL,
  grantError,
  grantMessage,
  type grantTaken,
  randomId,
  readMessage,
} from "@blindgate/sdk/browser";
import { IssueError } from "./issue.js";

/*
 * Getting a grant from a provider. The wallet opens the provider's page with its own origin, its return page and a
 * random state (nothing about any site), in a window with NO opener: the provider's page must not reach this window,
 * nor through it (window.opener.opener) the site's window that opened the wallet — its frames, their names, its
 * history length are enough to tell which site sent the person. The provider answers by sending the person to the
 * wallet's return page with the grant (or its refusal) in the URL fragment; that page hands it over on a
 * BroadcastChannel of this origin (return.ts), and this window takes the one that carries its state.
 *
 * With no opener, the wallet cannot watch the provider's window: the person tells it the window is closed
 * (`abandon`, PROVIDER_CLOSED), and the wallet offers the providers again.
 */

export interface GrantWait {
  /** The grant, or IssueError: the provider's refusal code (UNDER_AGE...), PROVIDER_CLOSED after `abandon`. */
  grant: Promise<string>;
  /** Stop waiting (the person says the provider's window is closed). */
  abandon(): void;
}

/**
 * Open the provider's page and wait for its answer. `band` ([from, below), when a site asked for an age band): the
 * provider is asked for evidence of an upper end too (`band=13-18`) — that some site asked for a band, never which.
 */
export function getGrant(verifyUrl: string, band?: { from: number; below: number }): GrantWait {
  const state = randomId();
  const url = new URL(verifyUrl);
  url.searchParams.set("wallet_origin", location.origin);
  url.searchParams.set("wallet_return", new URL("return.html", location.href).href);
  url.searchParams.set("state", state);
  if (band !== undefined) url.searchParams.set("band", `${band.from}-${band.below}`);
  const channel = new BroadcastChannel(GRANT_CHANNEL);
  let abandon: () => void = () => undefined;
  const grant = new Promise<string>((resolve, reject) => {
    let settled = false;
    const finish = (error: IssueError | undefined, value?: string) => {
      if (settled) return;
      settled = true;
      channel.close();
      if (error !== undefined) reject(error);
      else resolve(value as string);
    };
    abandon = () => finish(new IssueError("PROVIDER_CLOSED"));
    channel.onmessage = (event: MessageEvent) => {
      const granted = readMessage(grantMessage, event.data);
      const refused = readMessage(grantError, event.data);
      const answer = granted ?? refused;
      if (answer === undefined || answer.state !== state) return;
      channel.postMessage({ type: "blindgate:grant-taken", state } satisfies ReturnType<
        typeof grantTaken.parse
      >);
      if (granted !== undefined) finish(undefined, granted.grant);
      else if (refused !== undefined) finish(new IssueError(refused.code));
    };
  });
  // "noopener": the provider's window has no opener, and lives in a browsing context group of its own
  window.open(url.href, "_blank", "popup,noopener,noreferrer");
  return { grant, abandon: () => abandon() };
}
