import { createPreflightHandler } from "../../http/wallet-cors.js";

/** OPTIONS of the wallet's routes as deployed: the preflight only (http/wallet-cors.ts). */
export const handler = createPreflightHandler();
