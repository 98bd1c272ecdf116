import { serve } from "@hono/node-server";
import { createApp } from "./app.js";

const env = (name: string): string => process.env[name] ?? "";
const app = createApp({
  gatewayUrl: env("BLINDGATE_URL"),
  walletUrl: env("BLINDGATE_WALLET_URL"),
  siteKey: env("BLINDGATE_SITE_KEY"),
  sessionSecret: env("AGE_SESSION_SECRET"),
});
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) }, ({ port }) =>
  console.log(`http://localhost:${port}/`),
);
