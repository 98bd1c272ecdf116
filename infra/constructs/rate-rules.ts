import type * as wafv2 from "aws-cdk-lib/aws-wafv2";

/*
 * The pieces of a per-client rate limit in AWS WAF, shared by the gateway's web ACL (api-firewall.ts) and the EU AV
 * provider's (eu-av-provider.ts). Every rule blocks with 429 once a client passes its limit within the window, and
 * keeps only its CloudWatch counts: no sampled requests (they would store addresses, times and site keys).
 */

/** A request whose path is exactly `p`. */
export const exactPath = (p: string): wafv2.CfnWebACL.StatementProperty => ({
  byteMatchStatement: {
    fieldToMatch: { uriPath: {} },
    positionalConstraint: "EXACTLY",
    searchString: p,
    textTransformations: [{ priority: 0, type: "NONE" }],
  },
});

/** One path, or any of several (WAF's OR statement takes two or more). */
export const anyPath = (paths: readonly string[]): wafv2.CfnWebACL.StatementProperty => {
  const [first, ...rest] = paths;
  if (first === undefined) throw new Error("no path to match");
  return rest.length === 0 ? exactPath(first) : { orStatement: { statements: paths.map(exactPath) } };
};

/** CloudWatch counts under `metricName`, never sampled requests. */
export const countsOnly = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: false,
});

export interface RateRule {
  readonly name: string;
  readonly priority: number;
  /** Requests per client per window. */
  readonly limit: number;
  /** Evaluation window (seconds): 60, 120, 300 or 600. */
  readonly windowSeconds: number;
  /** Only these requests count; none: every request. */
  readonly scopeDown?: wafv2.CfnWebACL.StatementProperty | undefined;
  /** Who a client is: its address, or the site key it sends (the Authorization header). */
  readonly key: "IP" | "SITE_KEY";
}

/** A rate-based rule that answers 429 to a client over its limit. */
export const rateRule = (rule: RateRule): wafv2.CfnWebACL.RuleProperty => ({
  name: rule.name,
  priority: rule.priority,
  action: { block: { customResponse: { responseCode: 429 } } },
  visibilityConfig: countsOnly(rule.name),
  statement: {
    rateBasedStatement: {
      limit: rule.limit,
      evaluationWindowSec: rule.windowSeconds,
      ...(rule.scopeDown !== undefined ? { scopeDownStatement: rule.scopeDown } : {}),
      ...(rule.key === "IP"
        ? { aggregateKeyType: "IP" }
        : {
            aggregateKeyType: "CUSTOM_KEYS",
            customKeys: [
              { header: { name: "authorization", textTransformations: [{ priority: 0, type: "NONE" }] } },
            ],
          }),
    },
  },
});
