import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { DynamoDBClient, PutItemCommand } from "@blindgate/aws-json/dynamodb";

/*
 * The least an HTTP gateway in Node can do per check, for the HTTP benchmark's second baseline: a node:http server
 * that reads a request body (an id) and makes the spent set's conditional put (stores/dynamo/once.ts's command) with
 * the client the Lambda bundles carry, then answers 200. No token, no site, no verification: what is left when the
 * gateway's own work is taken away. Bundled like bench/gateway-server.ts (the gateway's own client, @blindgate/aws-json); prints { url } first and answers each "cpu" line on stdin with process.cpuUsage().
 */

const endpoint = process.env.BENCH_DYNAMO_ENDPOINT;
const table = process.env.BENCH_SPENT_TABLE;
if (endpoint === undefined || table === undefined)
  throw new Error("relay: BENCH_DYNAMO_ENDPOINT, BENCH_SPENT_TABLE");
const client = new DynamoDBClient({
  endpoint,
  region: "local",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
});

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const id = Buffer.concat(chunks).toString("utf8");
    const now = Math.floor(Date.now() / 1000);
    client
      .send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: id }, ttl: { N: String(now + 3600) } },
          ConditionExpression: "attribute_not_exists(pk) OR #ttl < :now",
          ExpressionAttributeNames: { "#ttl": "ttl" },
          ExpressionAttributeValues: { ":now": { N: String(now) } },
        }),
      )
      .then(
        () => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end('{"valid":true}');
        },
        () => {
          res.writeHead(503);
          res.end();
        },
      );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
});
createInterface({ input: process.stdin })
  .on("line", (line) => {
    if (line.trim() === "cpu") console.log(JSON.stringify(process.cpuUsage()));
  })
  .on("close", () => process.exit(0));
