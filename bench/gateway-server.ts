import { startLocalGateway } from "../functions/local/gateway.js";

/*
 * The local gateway in a process of its own, for the check benchmark: the load generator (bench/suites/gateway.ts)
 * must not share a thread with the server it measures. Registers the provider whose public JWKS it is given and a
 * site, then prints one JSON line: { url, dynamoEndpoint, apiKey }. The store is the one at BENCH_DYNAMO_ENDPOINT
 * (dynalite in a third process, as DynamoDB is another machine than Lambda), or dynalite in this process.
 */

process.env.BLINDGATE_QUIET = "1";
const jwks = JSON.parse(process.env.BENCH_PROVIDER_JWKS ?? "{}") as Parameters<
  Awaited<ReturnType<typeof startLocalGateway>>["addProvider"]
>[0]["jwks"];
const dynamoEndpoint = process.env.BENCH_DYNAMO_ENDPOINT;
const gateway = await startLocalGateway({
  wallet: false,
  thresholds: [18],
  ...(dynamoEndpoint === undefined ? {} : { dynamoEndpoint }),
});
await gateway.addProvider({
  id: "bench-provider",
  name: "bench provider",
  verifyUrl: "http://127.0.0.1:9/verify",
  jwks,
  monthlyQuota: 1e9,
});
const { apiKey } = await gateway.addSite("bench site");
console.log(JSON.stringify({ url: gateway.url, dynamoEndpoint: gateway.dynamoEndpoint, apiKey }));
process.on("SIGTERM", () => {
  gateway.close().then(() => process.exit(0));
});
