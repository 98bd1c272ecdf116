import type { Lang } from "@blindgate/sdk/browser";
import type { WalletConfig } from "./issue.js";
import type { TokenSupply } from "./plan.js";
import type { PendingRequest } from "./request.js";
import type { StoredToken } from "./store.js";
import type { WalletStrings } from "./strings.js";

/*
 * The wallet page's one mutable state, made once at start (main.ts) and handed to every flow. Everything else the
 * page remembers lives in IndexedDB (store.ts), so that a reload or a second window sees the same tokens.
 */
export interface App {
  readonly lang: Lang;
  readonly S: WalletStrings;
  readonly config: WalletConfig;
  /** Where fresh tokens of the wanted threshold come from during a proof: the credential's credits. */
  readonly supply: TokenSupply;
  /** The site request on screen (undefined: the wallet was opened on its own). */
  request: PendingRequest | undefined;
  /** Tokens handed out and held until their site reports the outcome, by request nonce. */
  readonly held: Map<string, { token: StoredToken; origin: string }>;
}

/** Epoch seconds. */
export const now = (): number => Math.floor(Date.now() / 1000);
