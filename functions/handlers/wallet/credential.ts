import { withWalletCors } from "../../http/wallet-cors.js";
import { handler as inner } from "../credential.js";

/** The credential route as deployed: the wallet calls it from its own origin (http/wallet-cors.ts). */
export const handler = withWalletCors(inner);
