// zod + libphonenumber-js implementing the STK rules, as a browser bundle would ship them.
export { zodValidateStkRequest as validateStkRequest, lpnNormalize as normalizePhone } from "../alternatives.mjs";
