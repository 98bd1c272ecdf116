import { adults } from "../../../lib/age-gate.js";

// An API route behind the 18+ gate: a request without an age session gets the 401 challenge (JSON).
export const GET = adults.protect((_request, { ageOver }) => Response.json({ ageOver }));
