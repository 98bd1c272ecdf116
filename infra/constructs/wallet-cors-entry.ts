import { handler as inner } from "blindgate-wallet-route";
import { withWalletCors } from "./wallet-cors.js";

/*
 * Lambda entry of a wallet route: "blindgate-wallet-route" is an esbuild alias, per function, to that route's
 * handler module (bundling.ts, entryFor). The origin is read once, at cold start.
 */

export const handler = withWalletCors(inner);
