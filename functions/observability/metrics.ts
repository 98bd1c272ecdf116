/*
 * CloudWatch metrics through the Embedded Metric Format: one log line, aggregated by CloudWatch, no extra request
 * on the hot path. Namespace "blindgate"; dimensions are identifiers only (a site id, a provider id, a threshold,
 * a code), never tokens, keys or addresses. The dashboard in infra/ reads these names.
 */

/** Emit one metric (Count) with its dimensions. */
export function metric(name: string, value: number, dimensions: Record<string, string>): void {
  if (process.env.BLINDGATE_QUIET === "1") return;
  console.log(
    JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: "blindgate",
            Dimensions: [Object.keys(dimensions)],
            Metrics: [{ Name: name, Unit: "Count" }],
          },
        ],
      },
      ...dimensions,
      [name]: value,
    }),
  );
}
