import type { GatewayRouteId } from "@blindgate/sdk/protocol";
import * as z from "zod";
import { ROUTE_IDS } from "../functions/routes.js";
import type { FirewallLimits } from "./constructs/api-firewall.js";

/*
 * The stack's configuration: cdk.json context (`blindgate` object), overridden key by key by `-c key=value` on the
 * command line, then by props in code (tests). Parsed with zod at synth time: a wrong value stops the synth with a
 * message naming the field, before anything reaches CloudFormation.
 *
 *   npx cdk synth -c stage=prod -c thresholds=16,18 -c domainName=age.example.org -c certificateArn=arn:...
 */

/** Route ids of the HTTP API, the keys of per-route throttling. */
export { ROUTE_IDS };
export type RouteId = GatewayRouteId;

/** CloudWatch Logs retention periods (days) that CloudFormation accepts. */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653] as const;

// Values from `-c key=value` arrive as strings: numbers and booleans are coerced, lists may be comma-separated.
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean());

const thresholds = z.preprocess(
  (v) => (typeof v === "string" ? v.split(",").map((s) => Number(s.trim())) : v),
  z
    .array(z.number().int().min(1).max(150))
    .min(1)
    .max(10)
    .refine((l) => new Set(l).size === l.length, "ages must be distinct"),
);

const throttle = z
  .object({
    rateLimit: z.number().positive().max(10_000),
    burstLimit: z.number().int().positive().max(5_000),
  })
  .strict();

const DEFAULT_THROTTLE: Record<RouteId, z.infer<typeof throttle>> = {
  // The directory is cached by clients (max-age 300) and by sites' SDKs; checks are the sites' hot path.
  directory: { rateLimit: 200, burstLimit: 400 },
  // Issuance happens once per person per key epoch; each call signs up to maxBatch tokens (CPU heavy).
  issue: { rateLimit: 50, burstLimit: 100 },
  check: { rateLimit: 500, burstLimit: 1000 },
  keyLog: { rateLimit: 20, burstLimit: 40 },
  providers: { rateLimit: 50, burstLimit: 100 },
  // One credential per grant (as issue); refills are the wallet's background top-ups (an ACT verification each).
  credential: { rateLimit: 50, burstLimit: 100 },
  refill: { rateLimit: 100, burstLimit: 200 },
  // The transparency report changes once a day: auditors fetch it, clients cache it.
  report: { rateLimit: 20, burstLimit: 40 },
};

/** Per-client limits of the edge firewall (requests per client per window), infra/constructs/api-firewall.ts. */
const DEFAULT_FIREWALL = {
  // 10 requests/s per address on the wallet's routes: far above one person (a few requests per proof), low enough
  // that one client cannot fill the route throttles. Addresses shared behind a NAT share these.
  perIp: 600,
  // Below the issue route's global 50/s: it takes 50 addresses at their limit to fill it.
  issuePerIp: 60,
  // Below the key log's global 20/s: one client gets 1/s; the wallet and the SDK keep their copy for its max-age.
  keyLogPerIp: 60,
  // 100 checks/s per site key: a fifth of the check route's 500/s, so no one site (or leaked key) starves the others.
  checkPerSite: 6000,
  // 200 checks/s per address: a site's servers sit behind few addresses; random keys from one client stop here.
  checkPerIp: 12_000,
  windowSeconds: 60,
} as const;

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region name such as eu-west-1");

const schema = z
  .object({
    /** Deployment stage: part of every resource name; `prod*` stages protect their data. */
    stage: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,19}$/, "lower-case letters, digits and '-', 2 to 20 characters"),
    /** Retain tables and the bucket, deletion protection on. Default: true when the stage starts with "prod". */
    protectData: bool.optional(),
    thresholds: thresholds.default([13, 15, 16, 18, 21]),
    /** How long a token key issues (hours). */
    keyEpochHours: int(1, 24 * 90).default(24 * 7),
    /** How long tokens stay valid after their key stopped issuing (hours). */
    tokenValidityHours: int(1, 24 * 90).default(24 * 7),
    /** Longest grant lifetime accepted (exp - iat). */
    grantMaxTtlSeconds: int(30, 3600).default(600),
    /** Largest number of TokenRequests in one batch. */
    maxBatch: int(1, 1000).default(100),
    /** How often rotate-keys runs (minutes); a run with nothing due changes nothing. */
    rotateEveryMinutes: int(5, 24 * 60).default(60),
    /** Optional custom domain of the API (regional ACM certificate in the stack's region). */
    domainName: z
      .string()
      .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a lower-case host name")
      .optional(),
    certificateArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, "an ACM certificate ARN")
      .optional(),
    /** Stage-wide default throttle, and per-route overrides (merged over the built-in defaults). */
    throttle: throttle.default({ rateLimit: 500, burstLimit: 1000 }),
    routeThrottle: z.partialRecord(z.enum(ROUTE_IDS), throttle).default({}),
    logRetentionDays: z.coerce
      .number()
      .refine((d) => (RETENTION_DAYS as readonly number[]).includes(d), {
        message: `one of ${RETENTION_DAYS.join(", ")}`,
      })
      .default(30),
    /**
     * What this deployment runs: everything, or one half of a split deployment (issuance and checks under
     * different operators, docs/deploy.md): `issuer` leaves out /v1/check and its tables, `checker` runs only it.
     */
    components: z.enum(["all", "issuer", "checker"]).default("all"),
    /** checker: the issuer's name and URL (challenges name the issuer), and its keys table (by ARN). */
    issuerName: z
      .string()
      .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a lower-case host name")
      .optional(),
    issuerUrl: z.url({ protocol: /^https$/ }).optional(),
    issuerKeysTableArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255}$/,
        "a DynamoDB table ARN",
      )
      .optional(),
    /** issuer: roles (a checker's check function) allowed to read the public keys (Scan of the keys table). */
    checkerRoleArns: z.preprocess(
      (v) => (typeof v === "string" ? v.split(",").map((s) => s.trim()) : v),
      z
        .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, "an IAM role ARN"))
        .default([]),
    ),
    /** E-mail address subscribed to the alarm topic. */
    alarmEmail: z.email().optional(),
    /** Lambda memory (MB) of the functions that run RSA (issue, check, rotate-keys). */
    cryptoMemoryMb: int(512, 10_240).default(1024),
    /**
     * Per-client throttling: CloudFront + AWS WAF (us-east-1 stack `blindgate-<stage>-edge`) in front of the API.
     * Off in code, on in cdk.json; needs the stack's region at synth (the CLI sets it from the profile).
     */
    edge: bool.default(false),
    /** Per-client limits of the edge firewall (requests per window), merged over the defaults. */
    firewall: z
      .object({
        perIp: int(10, 2_000_000_000),
        issuePerIp: int(10, 2_000_000_000),
        keyLogPerIp: int(10, 2_000_000_000),
        checkPerSite: int(10, 2_000_000_000),
        checkPerIp: int(10, 2_000_000_000),
        windowSeconds: z.coerce
          .number()
          .refine((w) => [60, 120, 300, 600].includes(w), "60, 120, 300 or 600")
          .transform((w) => w as 60 | 120 | 300 | 600),
      })
      .partial()
      .strict()
      .default({}),
    /**
     * Opt-in multi-region single use: the spent table (tokens and the credit credentials' nullifiers) and the
     * grants table as DynamoDB global tables with multi-region strong consistency, in the stack's region plus
     * `replicaRegions` (two, or one and a `witnessRegion`). docs/scale.md.
     */
    multiRegion: z
      .object({
        replicaRegions: z.preprocess(
          (v) => (typeof v === "string" ? v.split(",").map((s) => s.trim()) : v),
          z.array(region).min(1).max(2),
        ),
        witnessRegion: region.optional(),
        consistency: z.string().default("STRONG"),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.domainName === undefined) !== (c.certificateArn === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["certificateArn"],
        message: "domainName and certificateArn go together",
      });
    }
    const checkerOnly = ["issuerName", "issuerUrl", "issuerKeysTableArn"] as const;
    for (const field of checkerOnly) {
      if (c.components === "checker" && c[field] === undefined) {
        ctx.addIssue({ code: "custom", path: [field], message: "required when components is checker" });
      }
      if (c.components !== "checker" && c[field] !== undefined) {
        ctx.addIssue({ code: "custom", path: [field], message: "only for components checker" });
      }
    }
    if (c.components === "checker" && c.checkerRoleArns.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["checkerRoleArns"],
        message: "only for components issuer or all",
      });
    }
    if (
      c.edge &&
      c.certificateArn !== undefined &&
      !/^arn:aws[a-z-]*:acm:us-east-1:/.test(c.certificateArn)
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["certificateArn"],
        message:
          "with edge on, the custom domain is served by CloudFront: its certificate must be in us-east-1",
      });
    }
    const mr = c.multiRegion;
    if (mr !== undefined) {
      if (mr.consistency !== "STRONG") {
        ctx.addIssue({
          code: "custom",
          path: ["multiRegion", "consistency"],
          message:
            "the spent set must be single-use across regions: eventually consistent replication would accept " +
            "one token once per region; only STRONG (multi-region strong consistency) is allowed",
        });
      }
      const regions = [...mr.replicaRegions, ...(mr.witnessRegion !== undefined ? [mr.witnessRegion] : [])];
      if (regions.length !== 2 || new Set(regions).size !== 2) {
        ctx.addIssue({
          code: "custom",
          path: ["multiRegion", "replicaRegions"],
          message:
            "strong consistency needs three regions: the stack's plus two distinct replicaRegions, or one replica " +
            "and a witnessRegion",
        });
      }
    }
    if (c.tokenValidityHours < c.keyEpochHours / 24) {
      ctx.addIssue({
        code: "custom",
        path: ["tokenValidityHours"],
        message: "tokens must stay valid for at least 1/24 of the key epoch",
      });
    }
  });

export type GatewayConfigInput = z.input<typeof schema>;

export interface StackConfig {
  readonly stage: string;
  readonly protectData: boolean;
  readonly thresholds: readonly number[];
  readonly keyEpochHours: number;
  readonly tokenValidityHours: number;
  readonly grantMaxTtlSeconds: number;
  readonly maxBatch: number;
  readonly rotateEveryMinutes: number;
  readonly domain: { readonly domainName: string; readonly certificateArn: string } | undefined;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly routeThrottle: Readonly<
    Record<RouteId, { readonly rateLimit: number; readonly burstLimit: number }>
  >;
  readonly logRetentionDays: number;
  readonly alarmEmail: string | undefined;
  readonly cryptoMemoryMb: number;
  readonly components: "all" | "issuer" | "checker";
  /** checker only: the issuer it checks tokens for. */
  readonly issuer: { readonly name: string; readonly url: string; readonly keysTableArn: string } | undefined;
  readonly checkerRoleArns: readonly string[];
  /** Per-client throttling at the edge (CloudFront + WAF). */
  readonly edge: boolean;
  readonly firewall: FirewallLimits;
  /** Multi-region strong consistency of the spent table (the stack's region plus these). */
  readonly multiRegion:
    | { readonly replicaRegions: readonly string[]; readonly witnessRegion: string | undefined }
    | undefined;
}

/** A configuration value that does not parse: the message names every bad field. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    readonly fields: readonly string[],
  ) {
    super(message);
  }
}

/** Parse a raw configuration (context merged with props). Throws ConfigError naming the bad fields. */
export function parseStackConfig(raw: unknown): StackConfig {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const fields = result.error.issues.map((i) => i.path.join(".") || "(root)");
    const problems = result.error.issues
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    throw new ConfigError(`blindgate stack configuration: ${problems}`, fields);
  }
  const c = result.data;
  return {
    stage: c.stage,
    protectData: c.protectData ?? c.stage.startsWith("prod"),
    thresholds: [...c.thresholds].sort((a, b) => a - b),
    keyEpochHours: c.keyEpochHours,
    tokenValidityHours: c.tokenValidityHours,
    grantMaxTtlSeconds: c.grantMaxTtlSeconds,
    maxBatch: c.maxBatch,
    rotateEveryMinutes: c.rotateEveryMinutes,
    domain:
      c.domainName !== undefined && c.certificateArn !== undefined
        ? { domainName: c.domainName, certificateArn: c.certificateArn }
        : undefined,
    throttle: c.throttle,
    routeThrottle: { ...DEFAULT_THROTTLE, ...c.routeThrottle },
    logRetentionDays: c.logRetentionDays,
    alarmEmail: c.alarmEmail,
    cryptoMemoryMb: c.cryptoMemoryMb,
    components: c.components,
    issuer:
      c.issuerName !== undefined && c.issuerUrl !== undefined && c.issuerKeysTableArn !== undefined
        ? { name: c.issuerName, url: c.issuerUrl.replace(/\/+$/, ""), keysTableArn: c.issuerKeysTableArn }
        : undefined,
    checkerRoleArns: c.checkerRoleArns,
    edge: c.edge,
    firewall: {
      ...DEFAULT_FIREWALL,
      ...(Object.fromEntries(
        Object.entries(c.firewall).filter(([, v]) => v !== undefined),
      ) as Partial<FirewallLimits>),
    },
    multiRegion:
      c.multiRegion !== undefined
        ? { replicaRegions: c.multiRegion.replicaRegions, witnessRegion: c.multiRegion.witnessRegion }
        : undefined,
  };
}

/** The keys a `-c key=value` may set (cdk passes every context value; only ours are read). */
export const CONFIG_KEYS = Object.keys(schema.shape) as (keyof GatewayConfigInput)[];

/**
 * Raw configuration from CDK context: the `blindgate` object of cdk.json, then top-level keys of the same name
 * (`-c stage=prod`), JSON-decoded when they look like JSON (`-c routeThrottle={"check":{...}}`).
 */
export function configFromContext(tryGetContext: (key: string) => unknown): Record<string, unknown> {
  const base = tryGetContext("blindgate");
  const out: Record<string, unknown> = typeof base === "object" && base !== null ? { ...base } : {};
  for (const key of CONFIG_KEYS) {
    const value = tryGetContext(key);
    if (value === undefined) continue;
    out[key] = typeof value === "string" && /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return out;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // zod then names the field
  }
}
