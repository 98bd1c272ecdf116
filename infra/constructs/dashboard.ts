import { Duration } from "aws-cdk-lib";
import type * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { FIREWALL_RULES } from "./api-firewall.js";

/*
 * One CloudWatch dashboard `blindgate-<stage>`: the gateway's own figures (EMF metrics, namespace "blindgate",
 * functions/observability/metrics.ts), the API and the functions, the edge firewall, and every alarm.
 *
 * The gateway's figures are drawn with SEARCH expressions over a dimension, so every value that appears (each
 * threshold, provider, site, refusal code) gets its line without the stack knowing it. A new figure is one line
 * in GATEWAY_FIGURES: the metric name and dimension the function emits.
 */

export interface GatewayFigure {
  readonly title: string;
  /** EMF metric name (namespace "blindgate"). */
  readonly metric: string;
  /** The one dimension it is emitted with. */
  readonly dimension: string;
}

export const METRICS_NAMESPACE = "blindgate";

/** The gateway's figures, in dashboard order. Names and dimensions as the functions emit them. */
export const GATEWAY_FIGURES: readonly GatewayFigure[] = [
  { title: "Tokens issued per threshold", metric: "TokensIssued", dimension: "threshold" },
  { title: "Grants used per provider", metric: "Grants", dimension: "provider" },
  { title: "Checks accepted per site", metric: "Checks", dimension: "site" },
  { title: "Checks refused per code", metric: "CheckRefused", dimension: "code" },
  { title: "Credit credentials issued per threshold", metric: "Credentials", dimension: "threshold" },
  { title: "Refills per credential threshold", metric: "Refills", dimension: "threshold" },
];

const PERIOD = Duration.minutes(5);

/** All series of one figure: SEARCH over the namespace and its dimension, summed per period. */
export function figureExpression(figure: GatewayFigure, periodSeconds = PERIOD.toSeconds()): string {
  return `SEARCH('{${METRICS_NAMESPACE},${figure.dimension}} MetricName="${figure.metric}"', 'Sum', ${periodSeconds})`;
}

export interface GatewayDashboardProps {
  readonly name: string;
  readonly api: apigwv2.HttpApi;
  readonly functions: Record<string, lambda.IFunction>;
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The edge firewall's web ACL name (its metrics are in us-east-1), when per-client throttling is on. */
  readonly webAclName?: string | undefined;
  /** Figures beyond GATEWAY_FIGURES (credentials, refills...). */
  readonly extraFigures?: readonly GatewayFigure[];
}

export class GatewayDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: GatewayDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: props.name,
      defaultInterval: Duration.hours(24),
    });
    const figures = [...GATEWAY_FIGURES, ...(props.extraFigures ?? [])];
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms: [...props.alarms], width: 24 }),
    );
    this.dashboard.addWidgets(
      ...figures.map(
        (figure) =>
          new cloudwatch.GraphWidget({
            title: figure.title,
            width: 12,
            left: [
              new cloudwatch.MathExpression({
                expression: figureExpression(figure),
                label: "",
                period: PERIOD,
                usingMetrics: {},
              }),
            ],
          }),
      ),
    );

    const fns = Object.entries(props.functions);
    const perFunction = (title: string, metric: (fn: lambda.IFunction) => cloudwatch.IMetric) =>
      new cloudwatch.GraphWidget({
        title,
        width: 12,
        left: fns.map(([name, fn]) => withLabel(metric(fn), name)),
      });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "API latency (ms)",
        width: 12,
        left: [
          props.api.metricLatency({ statistic: "p50", period: PERIOD, label: "p50" }),
          props.api.metricLatency({ statistic: "p99", period: PERIOD, label: "p99" }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: "API answers (4xx includes the route throttles' 429)",
        width: 12,
        left: [
          props.api.metricCount({ statistic: "Sum", period: PERIOD, label: "requests" }),
          props.api.metricClientError({ statistic: "Sum", period: PERIOD, label: "4xx" }),
          props.api.metricServerError({ statistic: "Sum", period: PERIOD, label: "5xx" }),
        ],
      }),
      perFunction("Function duration p99 (ms)", (fn) =>
        fn.metricDuration({ statistic: "p99", period: PERIOD }),
      ),
      perFunction("Function errors", (fn) => fn.metricErrors({ statistic: "Sum", period: PERIOD })),
      perFunction("Function throttles", (fn) => fn.metricThrottles({ statistic: "Sum", period: PERIOD })),
      perFunction("Concurrent executions (max)", (fn) =>
        fn.metric("ConcurrentExecutions", { statistic: "Maximum", period: PERIOD }),
      ),
    );
    if (props.webAclName !== undefined) {
      const waf = (metricName: string, rule: string) =>
        new cloudwatch.Metric({
          namespace: "AWS/WAFV2",
          metricName,
          dimensionsMap: { WebACL: props.webAclName as string, Rule: rule },
          region: "us-east-1",
          statistic: "Sum",
          period: PERIOD,
          label: rule,
        });
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: "Edge firewall: requests refused (429) per rule",
          width: 12,
          left: FIREWALL_RULES.map((rule) => waf("BlockedRequests", rule)),
        }),
        new cloudwatch.GraphWidget({
          title: "Edge firewall: requests allowed",
          width: 12,
          left: [waf("AllowedRequests", "ALL")],
        }),
      );
    }
  }
}

function withLabel(metric: cloudwatch.IMetric, label: string): cloudwatch.IMetric {
  return metric instanceof cloudwatch.Metric ? metric.with({ label }) : metric;
}
