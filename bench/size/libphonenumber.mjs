// libphonenumber-js (min metadata) for the same job as normalizePhone: parse + isValid.
import { parsePhoneNumberFromString } from "libphonenumber-js/min";
export function normalizePhone(input) {
  const phone = parsePhoneNumberFromString(input, "KE");
  if (!phone || !phone.isValid()) throw new Error("invalid");
  return `254${phone.nationalNumber}`;
}
