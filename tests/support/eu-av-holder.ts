import "./reflect-metadata.js";

/* The test issuer and holder live with the local test wallet (providers/eu-av/test-wallet), which npm start runs. */
export * from "../../providers/eu-av/test-wallet/holder.js";
