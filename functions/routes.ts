import { GATEWAY_PATHS, type GatewayRouteId } from "@blindgate/sdk/protocol";

/*
 * The gateway's route table, read by the local server (functions/local/gateway.ts) and by the CDK stack
 * (infra/stacks/gateway-stack.ts): one place says which function answers which method and path. Paths come from
 * the gateway contract (sdk/src/protocol/gateway-api.ts). Data only, so the CDK app imports no handler code.
 */

/** The gateway's functions: function id -> handler file (functions/handlers/<file>.ts). */
export const FUNCTION_HANDLERS = {
  directory: "directory",
  issue: "issue",
  check: "check",
  keyLog: "key-log",
  providers: "providers",
  credential: "credential",
  refill: "refill",
  rotateKeys: "rotate-keys",
  report: "report",
} as const;
export type FunctionId = keyof typeof FUNCTION_HANDLERS;

/** One HTTP route. */
export interface HttpRoute {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly fn: FunctionId;
  /** Called by the wallet from its own origin: CORS headers and a preflight route. */
  readonly wallet: boolean;
}

/** Every HTTP route of the gateway (docs/architecture.md draws them). */
export const HTTP_ROUTES: Readonly<Record<GatewayRouteId, HttpRoute>> = {
  directory: { method: "GET", path: GATEWAY_PATHS.directory, fn: "directory", wallet: true },
  issue: { method: "POST", path: GATEWAY_PATHS.issue, fn: "issue", wallet: true },
  check: { method: "POST", path: GATEWAY_PATHS.check, fn: "check", wallet: false },
  // The key log answers `Access-Control-Allow-Origin: *` itself: anyone may audit it, from any page.
  keyLog: { method: "GET", path: GATEWAY_PATHS.keyLog, fn: "keyLog", wallet: false },
  providers: { method: "GET", path: GATEWAY_PATHS.providers, fn: "providers", wallet: true },
  // Public and cacheable; answers `Access-Control-Allow-Origin: *` itself, like the key log.
  report: { method: "GET", path: GATEWAY_PATHS.report, fn: "report", wallet: false },
  credential: { method: "POST", path: GATEWAY_PATHS.credential, fn: "credential", wallet: true },
  refill: { method: "POST", path: GATEWAY_PATHS.refill, fn: "refill", wallet: true },
};

/** The route ids, in table order. */
export const ROUTE_IDS = Object.keys(HTTP_ROUTES) as GatewayRouteId[];
