import { lobby } from "../../../../lib/age-gate.js";

// The one proof endpoint of the site, for every age its gates ask for: the browser part posts { token } here.
export const POST = (request: Request): Promise<Response> => lobby.handleProof(request);
