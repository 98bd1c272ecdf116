import { createInterface } from "node:readline";
import { startLocalGateway } from "../functions/local/gateway.js";

/*
 * The local gateway in a process of its own, for the HTTP benchmarks: the load generator (bench/http-load.ts)
 * must not share a thread with the server it measures. Registers the provider whose public JWKS it is given and a
 * site, then prints one JSON line: { url, dynamoEndpoint, apiKey }. Each "cpu" line on stdin is answered with
 * one JSON line, this process's process.cpuUsage() (microseconds), so the bench can print the gateway's CPU per
 * request. The store is the one at BENCH_DYNAMO_ENDPOINT (dynalite or DynamoDB Local in a process of its own, as
 * DynamoDB is another machine than Lambda), or dynalite in this process.
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
const stop = () => {
  gateway.close().then(() => process.exit(0));
};
createInterface({ input: process.stdin })
  .on("line", (line) => {
    if (line.trim() === "cpu") console.log(JSON.stringify(process.cpuUsage()));
  })
  .on("close", stop); // the bench is gone
process.on("SIGTERM", stop);
