import middy from "@middy/core";
import type { ScheduledEvent } from "aws-lambda";
import { type RotationReport, rotateKeys } from "../issuer/rotation.js";
import { signingDepsFromEnv } from "../issuer/vault-from-env.js";
import { log } from "../observability/log.js";
import { type DepsSource, lazyDeps } from "../runtime.js";

/*
 * Scheduled (EventBridge): keep a current and a next key per threshold, log key events, remove expired keys.
 * Safe to run at any rate: a run with nothing due changes nothing.
 */

export function createRotateKeysHandler(source: DepsSource = signingDepsFromEnv) {
  const deps = lazyDeps(source);
  return middy<ScheduledEvent | Record<string, never>, RotationReport>(async () => {
    const report = await rotateKeys(await deps());
    log("info", "rotate-keys", {
      created: report.created.length,
      logged: report.logged.length,
      removed: report.removed.length,
    });
    return report;
  });
}

export const handler = createRotateKeysHandler();
