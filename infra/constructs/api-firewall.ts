import * as wafv2 from "aws-cdk-lib/aws-wafv2";
import { Construct } from "constructs";
import { anyPath, countsOnly, exactPath, rateRule } from "./rate-rules.js";

/*
 * Per-client throttling of the public API: an AWS WAF web ACL (CLOUDFRONT scope, so it lives in us-east-1) on the
 * CloudFront distribution in front of the HTTP API (api-edge.ts). API Gateway HTTP APIs cannot carry a web ACL
 * themselves; their stage and route throttles stay, as the global ceiling behind these per-client ones.
 *
 *   PerIp          every route but /v1/check: requests per client address per minute
 *   IssuePerIp     the issuance routes together (POST /token-request, and /v1/credential when the gateway has it)
 *                  per address: one issuance per person per key epoch; the signatures are CPU bound
 *   KeyLogPerIp    GET /v1/key-log per address (the log is cacheable: clients keep their copy for its max-age)
 *   CheckPerSite   POST /v1/check per site key (custom aggregation key: the Authorization header), so a site's
 *                  load, or a leaked key, cannot use up the others' share of the check route
 *   CheckPerIp     POST /v1/check per address: random keys from one client are never the same site twice
 *
 * Privacy: no WAF logging and no sampled requests (they would store addresses, times and the site keys of
 * checks); only the per-rule CloudWatch counts (allowed, blocked) are kept.
 */

/** Requests per client (address or site key) per evaluation window, for each rule. */
export interface FirewallLimits {
  readonly perIp: number;
  readonly issuePerIp: number;
  readonly keyLogPerIp: number;
  readonly checkPerSite: number;
  readonly checkPerIp: number;
  /** Evaluation window of every rule (seconds): 60, 120, 300 or 600. */
  readonly windowSeconds: 60 | 120 | 300 | 600;
}

export interface ApiFirewallProps {
  readonly name: string;
  readonly limits: FirewallLimits;
  /** Route paths (from the stack's ROUTES); `issue` lists every route that issues (tokens, credentials). */
  readonly paths: { readonly issue: readonly string[]; readonly check: string; readonly keyLog: string };
}

/** The metric name of the ACL and of each rule (CloudWatch namespace AWS/WAFV2, dimension Rule). */
export const FIREWALL_RULES = ["PerIp", "IssuePerIp", "KeyLogPerIp", "CheckPerSite", "CheckPerIp"] as const;
export type FirewallRule = (typeof FIREWALL_RULES)[number];

export class ApiFirewall extends Construct {
  readonly acl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    const { limits, paths } = props;
    const rule = (
      name: FirewallRule,
      priority: number,
      limit: number,
      scopeDown: wafv2.CfnWebACL.StatementProperty,
      key: "IP" | "SITE_KEY",
    ): wafv2.CfnWebACL.RuleProperty =>
      rateRule({ name, priority, limit, windowSeconds: limits.windowSeconds, scopeDown, key });
    this.acl = new wafv2.CfnWebACL(this, "Acl", {
      name: props.name,
      description: "blindgate API per-client rate limits, see docs/deploy.md",
      scope: "CLOUDFRONT",
      defaultAction: { allow: {} },
      visibilityConfig: countsOnly(props.name),
      rules: [
        rule("PerIp", 0, limits.perIp, { notStatement: { statement: exactPath(paths.check) } }, "IP"),
        rule("IssuePerIp", 1, limits.issuePerIp, anyPath(paths.issue), "IP"),
        rule("KeyLogPerIp", 2, limits.keyLogPerIp, exactPath(paths.keyLog), "IP"),
        rule("CheckPerSite", 3, limits.checkPerSite, exactPath(paths.check), "SITE_KEY"),
        rule("CheckPerIp", 4, limits.checkPerIp, exactPath(paths.check), "IP"),
      ],
    });
  }
}
