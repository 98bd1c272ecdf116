import middy from "@middy/core";
import { type HttpEvent, type HttpResult, httpErrors } from "../http/index.js";
import { type Deps, type DepsSource, depsFromEnv, lazyDeps } from "../runtime.js";

/*
 * The one shape of every HTTP route: a factory taking its dependencies (or a way to make them on cold start),
 * wrapped in middy with the error boundary. `handler` exports of the route modules are factory(depsFromEnv),
 * the same code that tests and the local server build with their own Deps.
 *
 * Every route also carries the transparency report's counts this container holds from earlier requests, when they
 * are due (services/report-counts.ts): the counter write goes out as the request starts, beside its own work, and
 * the answer waits for it only if that work finished first. A request never waits on counting its own outcome.
 */

export type Route = (event: HttpEvent, deps: Deps) => Promise<HttpResult>;

export function httpRoute(route: Route, source: DepsSource = depsFromEnv) {
  const deps = lazyDeps(source);
  return middy<HttpEvent, HttpResult>(async (event: HttpEvent) => {
    const d = await deps();
    const counting = d.reportCounts.flushIfDue(); // never rejects
    try {
      return await route(event, d);
    } finally {
      await counting;
    }
  }).use(httpErrors());
}
