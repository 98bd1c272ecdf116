import { withWalletCors } from "../../http/wallet-cors.js";
import { handler as inner } from "../issue.js";

/** The issue route as deployed: the wallet calls it from its own origin (http/wallet-cors.ts). */
export const handler = withWalletCors(inner);
