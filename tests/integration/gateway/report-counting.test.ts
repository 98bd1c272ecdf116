import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { SEAL_DELAY } from "../../../functions/services/report.js";
import { utcDay } from "../../../functions/services/report-counts.js";
import { type DynamoServer, startDynalite } from "../../support/dynamo.js";
import { check, currentKey, issue, makeGrant, registerProvider, type TestProvider } from "./client.js";

/*
 * Counting for the transparency report observes outcomes and adds no sequential round trip: a request records what
 * its deciding write decided (never before: nothing is counted, then taken back), and the counts a container holds
 * go out at the start of a later request, while that request's own deciding write is still unanswered. A proxy in
 * front of DynamoDB holds the answer to the deciding write (the spent set's PutItem for a check, the grant's claim
 * for an issuance) until the counter's UpdateItem has arrived; code that sent the counts only after the decision
 * would make the proxy give up holding (after 5 s), which the test sees in the recorded order.
 * A refusal is counted as a refusal: the day's counters hold exactly what was accepted.
 * A busy container holds its counts and sends them once per interval (BLINDGATE_REPORT_FLUSH_MS), still beside a
 * request's own write, and the sealed report counts every one of them.
 */

interface Event {
  kind: "request" | "answer";
  action: string;
  table: string;
}

describe("report counting", () => {
  let server: DynamoServer;
  let proxy: Server;
  let gateway: LocalGateway;
  let provider: TestProvider;
  let apiKey: string;
  const events: Event[] = [];
  /** The deciding write whose answer the proxy holds: action and table. */
  let hold: { action: string; table: string } | undefined;
  let release: (() => void) | undefined;
  /** The counter's UpdateItem has arrived since `hold` was set. */
  let counted = false;
  /** Answer every counter write with a 500, as a failing DynamoDB would. */
  let failCounts = false;

  beforeAll(async () => {
    server = await startDynalite();
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const action = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "?";
        let table = "?";
        try {
          table = String((JSON.parse(body.toString("utf8")) as { TableName?: string }).TableName ?? "?");
        } catch {
          // not JSON
        }
        events.push({ kind: "request", action, table });
        if (action === "UpdateItem" && table.endsWith("-reports")) {
          counted = true;
          release?.();
          if (failCounts) {
            res.writeHead(500, { "content-type": "application/x-amz-json-1.0" });
            res.end('{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"test"}');
            return;
          }
        }
        const up = request(
          `${server.endpoint}${req.url ?? "/"}`,
          { method: req.method, headers: req.headers },
          (r) => {
            const out: Buffer[] = [];
            r.on("data", (c: Buffer) => out.push(c));
            r.on("end", async () => {
              if (hold !== undefined && hold.action === action && table.endsWith(hold.table)) {
                hold = undefined;
                if (!counted) {
                  await new Promise<void>((resolve) => {
                    release = resolve;
                    setTimeout(resolve, 5000).unref();
                  });
                }
                release = undefined;
              }
              events.push({ kind: "answer", action, table });
              res.writeHead(r.statusCode ?? 502, r.headers);
              res.end(Buffer.concat(out));
            });
          },
        );
        up.on("error", () => res.destroy());
        up.end(body);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    gateway = await startLocalGateway({
      wallet: false,
      thresholds: [18],
      dynamoEndpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      reportFlushMs: 0, // every request sends what the container holds: the counts of the requests before it
    });
    provider = await registerProvider(gateway, "prov-count");
    apiKey = (await gateway.addSite("Counting site")).apiKey;
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    await server?.stop();
  });

  /** Index of the first event matching. */
  const at = (kind: Event["kind"], action: string, table: string) =>
    events.findIndex((e) => e.kind === kind && e.action === action && e.table.endsWith(table));

  it("an issuance counts after its grant's claim has decided; its counts leave beside the next request's claim", async () => {
    const key = await currentKey(gateway, 18);
    await gateway.deps.reportCounts.flush(); // nothing held from earlier requests
    events.length = 0;
    expect((await issue(gateway, await makeGrant(gateway, provider), [key, key])).status).toBe(200);
    expect(at("answer", "PutItem", "-grants")).toBeGreaterThanOrEqual(0);
    expect(at("request", "UpdateItem", "-reports")).toBe(-1); // recorded after deciding, not sent before it
    counted = false;
    hold = { action: "PutItem", table: "-grants" };
    expect((await issue(gateway, await makeGrant(gateway, provider), [key])).status).toBe(200);
    const countSent = at("request", "UpdateItem", "-reports");
    const decided = events.findLastIndex(
      (e) => e.kind === "answer" && e.action === "PutItem" && e.table.endsWith("-grants"),
    );
    expect(countSent).toBeGreaterThanOrEqual(0);
    expect(countSent).toBeLessThan(decided);
  });

  it("a check's counts leave before the next check's spent-set write is answered; a replay counts a refusal", async () => {
    const key = await currentKey(gateway, 18);
    const { tokens } = await issue(gateway, await makeGrant(gateway, provider), [key, key]);
    const [token, other] = tokens;
    if (!token || !other) throw new Error("no token");
    expect((await check(gateway, apiKey, token, 18)).status).toBe(200);
    events.length = 0;
    counted = false;
    hold = { action: "PutItem", table: "-spent" };
    expect((await check(gateway, apiKey, other, 18)).status).toBe(200);
    const countSent = at("request", "UpdateItem", "-reports");
    const decided = at("answer", "PutItem", "-spent");
    expect(countSent).toBeGreaterThanOrEqual(0);
    expect(countSent).toBeLessThan(decided);

    expect((await check(gateway, apiKey, token, 18)).status).toBe(409);
    await gateway.deps.reportCounts.flush();
    const counters = await gateway.stores.reports.counters(utcDay(gateway.deps.now()));
    const accepted = Object.entries(counters).filter(([name]) => name.startsWith("accepted|"));
    expect(accepted.map(([, n]) => n)).toEqual([2]);
    expect(counters["refused|ERR_TOKEN_SPENT"]).toBe(1);
    expect(counters["grants|prov-count"]).toBe(3);
    expect(counters["tokens|prov-count"]).toBe(5);
  });

  it("a counter write that fails never fails the check, nor changes what it decided", async () => {
    const key = await currentKey(gateway, 18);
    const { tokens } = await issue(gateway, await makeGrant(gateway, provider), [key]);
    const token = tokens[0];
    if (token === null || token === undefined) throw new Error("no token");
    failCounts = true;
    try {
      events.length = 0;
      expect((await check(gateway, apiKey, token, 18)).status).toBe(200);
      expect((await check(gateway, apiKey, token, 18)).status).toBe(409);
      // the counter writes were sent (and refused): the answers did not wait on them to succeed
      expect(events.some((e) => e.action === "UpdateItem" && e.table.endsWith("-reports"))).toBe(true);
    } finally {
      failCounts = false;
    }
  });

  it("a busy container sends its counts once per interval, and the sealed report counts them all", async () => {
    let clock = Date.parse("2030-06-01T12:00:00Z") / 1000;
    const busy = await startLocalGateway({
      wallet: false,
      thresholds: [18],
      tablePrefix: "busy",
      now: () => clock,
      dynamoEndpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      reportFlushMs: 3_600_000, // an hour: within this test, only the first request's send is due
    });
    try {
      // the report key is made by the first request to the route; reports start on its day
      expect((await fetch(`${busy.url}/v1/report?day=2030-06-01`)).status).toBe(404);
      const busyProvider = await registerProvider(busy, "prov-busy");
      const site = (await busy.addSite("Busy site")).apiKey;
      const key = await currentKey(busy, 18);
      const issued = await issue(
        busy,
        await makeGrant(busy, busyProvider, { max_tokens: 30 }),
        Array(30).fill(key),
      );
      const tokens = issued.tokens.filter((t) => t !== null);
      expect(tokens).toHaveLength(30);
      events.length = 0;
      const answers = await Promise.all(tokens.map((t) => check(busy, site, t, 18)));
      expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
      expect((await check(busy, site, tokens[0]!, 18)).status).toBe(409);
      const sends = events.filter(
        (e) => e.kind === "request" && e.action === "UpdateItem" && e.table === "busy-reports",
      );
      // the first check sends what the container held (the issuance's counts) and opens the interval: 31 checks,
      // one counter write
      expect(sends).toHaveLength(1);
      // 31 spent-set writes (dynalite does not return the old item with a refused write: the replay's refusal then
      // costs one read as well, which DynamoDB spares)
      const spentWrites = events.filter(
        (e) => e.kind === "request" && e.action === "PutItem" && e.table === "busy-spent",
      );
      expect(spentWrites).toHaveLength(31);

      clock = Date.parse("2030-06-02T00:00:00Z") / 1000 + SEAL_DELAY - 1; // not sealed before SEAL_DELAY
      expect((await fetch(`${busy.url}/v1/report?day=2030-06-01`)).status).toBe(404);
      clock += 1;
      const res = await fetch(`${busy.url}/v1/report?day=2030-06-01`);
      expect(res.status).toBe(200);
      const { report } = (await res.json()) as {
        report: {
          epochs: { issued: number; accepted: number }[];
          refused: { code: string; count: number }[];
        };
      };
      // 30 issued, 30 accepted (bucketed to tens: exact here); the one replay is below the bucket
      expect(report.epochs).toEqual([expect.objectContaining({ issued: 30, accepted: 30 })]);
      const counters = await busy.stores.reports.counters("2030-06-01");
      expect(Object.entries(counters).find(([n]) => n.startsWith("accepted|"))?.[1]).toBe(30);
      expect(counters["refused|ERR_TOKEN_SPENT"]).toBe(1);
    } finally {
      await busy.close();
    }
  });
});
