/**
 * The date and instant schemas every input and reply uses. Each accepts only a day that exists on
 * the calendar (no 2027-02-31, no month 13) in a year PostgreSQL and JavaScript agree on: PostgreSQL
 * has no year 0, JavaScript's `Date.UTC` reads years 0–99 as 1900–1999, and nothing a clinic books,
 * plans or records (dates of birth included) lies before 1900.
 */
import { z } from "zod";

export const EARLIEST_YEAR = 1900;
export const LATEST_YEAR = 9999;

const inYears = (text: string) => {
  const year = Number(text.slice(0, 4));
  return year >= EARLIEST_YEAR && year <= LATEST_YEAR;
};
// `abort`: a rule of the enclosing object (`to` after `from`) does not run on, or name the field again for, an out-of-range year.
const yearRule = { message: `the year must be between ${EARLIEST_YEAR} and ${LATEST_YEAR}`, abort: true };

/** "YYYY-MM-DD", a calendar day (in the clinic's zone where it matters). */
export const localDateSchema = z.iso.date().refine(inYears, yearRule);

/** An ISO-8601 instant in UTC ("2027-03-01T09:00:00Z"), as the server writes them. */
export const instantSchema = z.iso.datetime().refine(inYears, yearRule);

/** An ISO-8601 instant with "Z" or an offset ("2027-03-01T09:00:00+01:00"), as clients may write them. */
export const offsetInstantSchema = z.iso.datetime({ offset: true }).refine(inYears, yearRule);
