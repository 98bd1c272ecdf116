import middy from "@middy/core";
import { type HttpEvent, type HttpResult, httpErrors } from "../http/index.js";
import { type Deps, type DepsSource, depsFromEnv, lazyDeps } from "../runtime.js";

/*
 * The one shape of every HTTP route: a factory taking its dependencies (or a way to make them on cold start),
 * wrapped in middy with the error boundary. `handler` exports of the route modules are factory(depsFromEnv),
 * the same code that tests and the local server build with their own Deps.
 */

export type Route = (event: HttpEvent, deps: Deps) => Promise<HttpResult>;

export function httpRoute(route: Route, source: DepsSource = depsFromEnv) {
  const deps = lazyDeps(source);
  return middy<HttpEvent, HttpResult>(async (event: HttpEvent) => route(event, await deps())).use(
    httpErrors(),
  );
}
