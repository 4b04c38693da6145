/**
 * Phone numbers as people type them (`07700 900123`, `(020) 7946 0018`, `+44 7700 900123`), made
 * E.164 (`+447700900123`) by libphonenumber-js with the clinic's country for numbers without a
 * country code. The clinic's country is the one of its own phone number (docs/queue.md "Walk-ins").
 */
import { AsYouType, parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/min";
import { z } from "zod";

/** What a phone field accepts before it is read: digits and the usual separators, one leading +. */
export const typedPhoneSchema = z
  .string()
  .trim()
  .min(3)
  .max(32)
  .regex(/^\+?[\d\s().-]+$/, "digits, spaces and ( ) - . only, with an optional leading +");

/** The country of an E.164 number (a clinic's phone), or undefined when it names none. */
export function countryOfPhone(e164: string | null | undefined): CountryCode | undefined {
  return e164 ? parsePhoneNumberFromString(e164)?.country : undefined;
}

/**
 * The E.164 form of `typed`, read in `country` when it has no country code; null when it cannot be a
 * number there. "Possible" (the country's lengths), not "valid" (its allocated ranges): ranges change
 * faster than the metadata, and reserved ones such as the UK's 07700 900xxx are real to a test desk.
 */
export function toE164(typed: string, country: CountryCode | undefined): string | null {
  const parsed = parsePhoneNumberFromString(typed.trim(), country);
  return parsed?.isPossible() ? parsed.number : null;
}

/** How to say what is expected, for a field error. */
export function phoneHint(country: CountryCode | undefined): string {
  return country
    ? `not a phone number in ${country} (or give the country code, such as +44 7700 900123)`
    : "give the number with its country code, such as +44 7700 900123";
}

/**
 * What to look for when someone types (the start of) a number into a search: the digits as typed
 * and, read in `country`, the E.164 digits as far as they go (`0770…` → `44770…`), or none when
 * nothing typed is a digit.
 */
export function phoneSearchDigits(typed: string, country: CountryCode | undefined): string[] {
  const digits = typed.replace(/\D/g, "");
  if (!digits) return [];
  // AsYouType reads a number still being typed (the national prefix of `0770…` dropped), as the parser does not.
  const typing = new AsYouType(country);
  typing.input(typed.trim());
  const read = typing.getNumberValue()?.slice(1);
  return read && read !== digits ? [digits, read] : [digits];
}

/** An E.164 number as people read it (`+44 7700 900123`). */
export function formatPhone(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}
