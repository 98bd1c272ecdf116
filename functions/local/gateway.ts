import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import type { DynamoDBClient } from "@blindgate/aws-json/dynamodb";
import { type AgeInterval, DEFAULT_BANDS, DEFAULT_THRESHOLDS } from "@blindgate/sdk/protocol";
import {
  closeServer,
  invoke,
  type LambdaHttpHandler,
  listenLoopback,
  writeFailure,
  writeResult,
} from "../../dev/lambda-http.js";
import { walletHeaders } from "../../wallet/headers.js";
import { addProvider, addSite, type ProviderInput } from "../admin/operations.js";
import type { GatewayConfig } from "../config.js";
import { createCheckHandler } from "../handlers/check.js";
import { createCredentialHandler } from "../handlers/credential.js";
import { createDirectoryHandler } from "../handlers/directory.js";
import { createIssueHandler } from "../handlers/issue.js";
import { createKeyLogHandler } from "../handlers/key-log.js";
import { createProvidersHandler } from "../handlers/providers.js";
import { createRefillHandler } from "../handlers/refill.js";
import { createReportHandler } from "../handlers/report.js";
import { json } from "../http/index.js";
import { createLocalKeyVault, defaultDataKeyFile } from "../issuer/key-vault.js";
import { type RotationReport, rotateKeys } from "../issuer/rotation.js";
import { type FunctionId, HTTP_ROUTES } from "../routes.js";
import { createDeps, type Deps, dynamoClient, systemClock } from "../runtime.js";
import { createTables, dynamoStores, localTableNames } from "../stores/index.js";
import type { ProviderRecord, SiteRecord, Stores } from "../stores/types.js";
import { startDynalite } from "./dynalite.js";

/*
 * The gateway on one machine: the Lambda handler modules behind one node:http server, on a DynamoDB-compatible
 * store (dynalite in-process by default: pure JavaScript, nothing to install; or any endpoint, such as DynamoDB
 * Local, given by `dynamoEndpoint`), with the wallet's pages at /wallet/. Used by `npm start`, the integration
 * and end-to-end tests, and the benchmarks.
 */

export interface LocalGatewayOptions {
  /** TCP port on 127.0.0.1 (0: a free one). Default 0. */
  port?: number;
  /**
   * Host name browsers use to reach this gateway (default 127.0.0.1): the wallet's config and the directory's
   * issuer-request-uri use it. The end-to-end tests give each party its own host (gateway.localhost, ...).
   */
  publicHost?: string;
  /** Issuer name (challenges, grant audience). Default "localhost". */
  issuerName?: string;
  /** An existing DynamoDB-compatible endpoint; default: dynalite started in this process. */
  dynamoEndpoint?: string;
  /** Prefix of the table names (several gateways can share one endpoint). */
  tablePrefix?: string;
  /** Master key file of the local key vault; default: a fresh temporary one (deleted on close). */
  dataKeyFile?: string;
  /** Clock (epoch seconds); tests move it to simulate rotation. */
  now?: () => number;
  keyEpochSeconds?: number;
  tokenValiditySeconds?: number;
  /** Credit-credential key epoch and validity after it (default 30 and 60 days). */
  creditEpochSeconds?: number;
  creditValiditySeconds?: number;
  /** Credits a grant buys (default 60). */
  creditsPerGrant?: number;
  thresholds?: number[];
  /** Bands with keys of their own (default 13–15, 16–17, 13–17); [] for none. */
  bands?: AgeInterval[];
  bandKeyEpochSeconds?: number;
  bandTokenValiditySeconds?: number;
  bandCreditEpochSeconds?: number;
  bandCreditValiditySeconds?: number;
  bandTokensPerGrant?: number;
  bandCreditsPerGrant?: number;
  /** Longest wait before the report counts held in memory are sent (default 1000 ms; 0: with every request). */
  reportFlushMs?: number;
  /** Serve the wallet's pages at /wallet/ (built with esbuild at start). Default true. */
  wallet?: boolean;
  /** Sees the method, URL and headers of every request the gateway receives (the end-to-end tests' recorder). */
  onRequest?: (request: { method: string; url: string; headers: IncomingMessage["headers"] }) => void;
}

export interface LocalGateway {
  /** The URL browsers use (http://<publicHost>:<port>). */
  readonly url: string;
  /** The URL on 127.0.0.1, for servers and tests on this machine. */
  readonly localUrl: string;
  readonly issuerName: string;
  readonly walletUrl: string;
  readonly stores: Stores;
  readonly deps: Deps;
  readonly config: GatewayConfig;
  readonly dynamoEndpoint: string;
  addProvider(input: ProviderInput): Promise<ProviderRecord>;
  addSite(name: string): Promise<{ site: SiteRecord; apiKey: string }>;
  rotate(): Promise<RotationReport>;
  close(): Promise<void>;
}

const here = fileURLToPath(new URL(".", import.meta.url));
export const WALLET_SOURCE_DIR = join(here, "..", "..", "wallet");

const STATIC_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** How often the local gateway runs key rotation (hourly, like the stack's schedule). */
export const ROTATE_EVERY_MS = 3_600_000;

export async function startLocalGateway(options: LocalGatewayOptions = {}): Promise<LocalGateway> {
  const cleanup: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  try {
    let endpoint = options.dynamoEndpoint;
    if (endpoint === undefined) {
      const dyn = await startDynalite();
      cleanup.push(dyn.close);
      endpoint = dyn.endpoint;
    }
    let dataKeyFile = options.dataKeyFile;
    if (dataKeyFile === undefined) {
      const dir = await mkdtemp(join(tmpdir(), "blindgate-"));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      dataKeyFile = join(dir, "data-key");
    }

    const server = createServer();
    const port = await listenLoopback(server, options.port ?? 0);
    cleanup.push(() => closeServer(server));
    const url = `http://${options.publicHost ?? "127.0.0.1"}:${port}`;
    const issuerName = options.issuerName ?? "localhost";

    const tables = localTableNames(options.tablePrefix);
    const client: DynamoDBClient = dynamoClient(endpoint);
    cleanup.push(async () => client.destroy());
    await createTables(client, tables);
    const config: GatewayConfig = {
      issuerName,
      issuerUrl: url,
      tables,
      kmsKeyId: undefined,
      dataKeyFile,
      thresholds: options.thresholds ?? [...DEFAULT_THRESHOLDS],
      bands: options.bands ?? [...DEFAULT_BANDS],
      bandKeyEpochSeconds: options.bandKeyEpochSeconds ?? 86_400,
      bandTokenValiditySeconds: options.bandTokenValiditySeconds ?? 86_400,
      bandCreditEpochSeconds: options.bandCreditEpochSeconds ?? 7 * 86_400,
      bandCreditValiditySeconds: options.bandCreditValiditySeconds ?? 21 * 86_400,
      bandTokensPerGrant: options.bandTokensPerGrant ?? 10,
      bandCreditsPerGrant: options.bandCreditsPerGrant ?? 30,
      keyEpochSeconds: options.keyEpochSeconds ?? 7 * 86_400,
      tokenValiditySeconds: options.tokenValiditySeconds ?? 7 * 86_400,
      grantMaxTtlSeconds: 600,
      maxBatch: 100,
      creditEpochSeconds: options.creditEpochSeconds ?? 30 * 86_400,
      creditValiditySeconds: options.creditValiditySeconds ?? 60 * 86_400,
      creditsPerGrant: options.creditsPerGrant ?? 60,
      refillMax: 10,
      reportFlushMs: options.reportFlushMs ?? 1000,
      dynamoEndpoint: endpoint,
    };
    const deps: Deps = createDeps({
      config,
      stores: dynamoStores(client, tables),
      vault: await createLocalKeyVault(dataKeyFile),
      now: options.now ?? systemClock,
    });
    await rotateKeys(deps);
    // As the EventBridge schedule does on AWS: rotation is idempotent, so running it often costs nothing.
    const rotation = setInterval(() => {
      rotateKeys(deps).catch(() => undefined);
    }, ROTATE_EVERY_MS);
    rotation.unref();
    cleanup.push(async () => clearInterval(rotation));

    const walletFiles = options.wallet === false ? new Map() : await loadWallet(url, issuerName);
    const factories: Partial<Record<FunctionId, (deps: Deps) => LambdaHttpHandler>> = {
      directory: createDirectoryHandler,
      issue: createIssueHandler,
      check: createCheckHandler,
      keyLog: createKeyLogHandler,
      providers: createProvidersHandler,
      credential: createCredentialHandler,
      refill: createRefillHandler,
      report: createReportHandler,
    };
    // The route table the CDK stack reads too: one handler per function, built once.
    const routes = new Map<string, { name: string; handler: LambdaHttpHandler }>();
    const handlers = new Map<FunctionId, LambdaHttpHandler>();
    for (const route of Object.values(HTTP_ROUTES)) {
      const make = factories[route.fn];
      if (make === undefined) throw new Error(`local gateway: no handler for ${route.fn}`);
      if (!handlers.has(route.fn)) handlers.set(route.fn, make(deps));
      routes.set(route.path, { name: route.fn, handler: handlers.get(route.fn)! });
    }

    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      options.onRequest?.({ method: req.method ?? "", url: req.url ?? "", headers: { ...req.headers } });
      const path = new URL(req.url ?? "/", "http://local").pathname;
      const route = routes.get(path);
      if (route !== undefined) {
        invoke(route.handler, route.name, req, res).catch((error: unknown) => writeFailure(res, error));
      } else if (path === "/wallet" || path.startsWith("/wallet/")) {
        serveWallet(walletFiles, path, url, req, res);
      } else {
        writeResult(res, json(404, { error: { code: "ERR_NOT_FOUND", message: "no such route" } }));
      }
    });

    return {
      url,
      localUrl: `http://127.0.0.1:${port}`,
      issuerName,
      walletUrl: `${url}/wallet/`,
      stores: deps.stores,
      deps,
      config,
      dynamoEndpoint: endpoint,
      addProvider: (input) => addProvider(deps.stores, input, deps.now()),
      addSite: (name) => addSite(deps.stores, { name }, deps.now()),
      rotate: () => rotateKeys(deps),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

type WalletFiles = Map<string, { body: Buffer; type: string }>;

/** Build the wallet (wallet/build.ts) into memory, with its config.json. */
async function loadWallet(gatewayUrl: string, issuerName: string): Promise<WalletFiles> {
  const files: WalletFiles = new Map();
  const out = await mkdtemp(join(tmpdir(), "blindgate-wallet-"));
  try {
    const { buildWallet } = await import("../../wallet/build.js");
    for (const file of await buildWallet(out)) {
      const name = normalize(file).startsWith(out) ? file.slice(out.length + 1) : file;
      files.set(`/wallet/${name}`, {
        body: await readFile(join(out, name)),
        type: STATIC_TYPES[extname(name)] ?? "application/octet-stream",
      });
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  files.set("/wallet/config.json", {
    body: Buffer.from(JSON.stringify({ gatewayUrl, issuerName })),
    type: STATIC_TYPES[".json"] as string,
  });
  return files;
}

function serveWallet(
  files: WalletFiles,
  path: string,
  origin: string,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const file = files.get(path === "/wallet" || path === "/wallet/" ? "/wallet/index.html" : path);
  if (req.method !== "GET" && req.method !== "HEAD") {
    writeResult(res, json(405, { error: { code: "ERR_METHOD", message: "only GET" } }, { allow: "GET" }));
    return;
  }
  if (file === undefined) {
    writeResult(res, json(404, { error: { code: "ERR_NOT_FOUND", message: "no such file" } }));
    return;
  }
  res.writeHead(200, {
    ...walletHeaders(origin),
    "content-type": file.type,
    "content-length": file.body.length,
  });
  res.end(req.method === "HEAD" ? undefined : file.body);
}

export { defaultDataKeyFile };
