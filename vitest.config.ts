import { defineConfig } from "vitest/config";

// The SDK is consumed by package name; the "blindgate-source" export condition points at its TypeScript source
// so tests, the local server and the Lambda bundles all run the same code without a build step.
const conditions = ["blindgate-source", "node"];
// vitest resolves test imports on its server-side pipeline: the conditions must reach `ssr` too.
const resolve = { conditions };
const ssr = { resolve: { conditions, externalConditions: ["blindgate-source"] } };
// Quiet runs: the gateway's log and metric lines only where a test captures them (it unsets BLINDGATE_QUIET), and
// no AWS SDK notice about Node 20 on every client (Lambda runs Node 22).
const env = { BLINDGATE_QUIET: "1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        ssr,
        test: { name: "unit", include: ["tests/unit/**/*.test.ts"], testTimeout: 30_000, env },
      },
      {
        resolve,
        ssr,
        test: {
          name: "integration",
          env,
          include: ["tests/integration/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: "e2e",
          env,
          include: ["tests/e2e/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
