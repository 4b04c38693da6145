import { describe, expect, it } from "vitest";
import { instantSchema, localDateSchema, offsetInstantSchema } from "./calendar";

const accepts = (schema: { safeParse(value: unknown): { success: boolean } }, value: string) => schema.safeParse(value).success;

describe("calendar schemas", () => {
  it("accept days that exist, leap days included", () => {
    for (const day of ["2027-01-31", "2028-02-29", "2000-02-29", "1900-01-01", "9999-12-31"]) expect(accepts(localDateSchema, day), day).toBe(true);
  });

  it("refuse days that do not exist and years PostgreSQL or JavaScript read otherwise", () => {
    for (const day of ["2027-02-31", "2027-02-29", "1900-02-29", "2027-13-01", "2027-00-10", "2027-04-31", "0000-01-01", "0099-06-01", "1899-12-31", "2027-1-01", "+02027-01-01"]) {
      expect(accepts(localDateSchema, day), day).toBe(false);
    }
  });

  it("hold instants to the same calendar and years, in UTC or with an offset", () => {
    expect(accepts(instantSchema, "2027-03-01T09:00:00Z")).toBe(true);
    expect(accepts(instantSchema, "2027-03-01T09:00:00.123Z")).toBe(true);
    expect(accepts(instantSchema, "2027-03-01T09:00:00+01:00")).toBe(false);
    expect(accepts(offsetInstantSchema, "2027-03-01T09:00:00+01:00")).toBe(true);
    for (const instant of ["2027-02-31T09:00:00Z", "2027-13-01T09:00:00Z", "0000-01-01T00:00:00Z", "1899-12-31T23:59:59Z"]) {
      expect(accepts(instantSchema, instant), instant).toBe(false);
      expect(accepts(offsetInstantSchema, instant), instant).toBe(false);
    }
  });
});
