import { createApp } from "./app.js";

const env = (name: string): string => process.env[name] ?? "";
createApp({
  gatewayUrl: env("BLINDGATE_URL"),
  walletUrl: env("BLINDGATE_WALLET_URL"),
  siteKey: env("BLINDGATE_SITE_KEY"),
  sessionSecret: env("AGE_SESSION_SECRET"),
}).listen(Number(process.env.PORT ?? 3000), () =>
  console.log(`http://localhost:${process.env.PORT ?? 3000}/`),
);
