/** The pure booking rules engine: each rule type, scope matching, several violations at once, DST days. */
import { describe, expect, it } from "vitest";
import type { BookingRuleSpec } from "@clinic/shared";
import { evaluateBookingRules, type BookingRuleContext, type BookingRuleInput } from "../../server/src/modules/scheduling/booking-rules";

const clinicId = "00000000-0000-4000-8000-00000000c11c";
const otherClinic = "00000000-0000-4000-8000-00000000c222";
const doctorId = "00000000-0000-4000-8000-0000000000d1";
const otherDoctor = "00000000-0000-4000-8000-0000000000d2";
const serviceId = "00000000-0000-4000-8000-0000000000e1";
const otherService = "00000000-0000-4000-8000-0000000000e2";
const zone = "Europe/London";

let n = 0;
function rule(spec: BookingRuleSpec, scope: Partial<BookingRuleInput["scope"]> = {}): BookingRuleInput {
  n++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    spec,
    scope: { clinicId, doctorId: null, serviceId: null, ...scope },
  };
}

const at = (iso: string) => new Date(iso);
function context(overrides: Partial<BookingRuleContext> = {}, slot: Partial<BookingRuleContext["slot"]> = {}): BookingRuleContext {
  return {
    slot: { start: at("2026-12-01T10:00:00Z"), end: at("2026-12-01T10:30:00Z"), doctorId, clinicId, serviceId, ...slot },
    timeZone: zone,
    now: at("2026-11-30T09:00:00Z"),
    doctorAppointments: [],
    ...overrides,
  };
}
const types = (violations: { type: string }[]) => violations.map((v) => v.type);

describe("evaluateBookingRules: each rule", () => {
  it("maxAppointmentsPerDay counts the doctor's other appointments that local day", () => {
    const r = rule({ type: "maxAppointmentsPerDay", max: 2 });
    const one = [{ start: at("2026-12-01T09:00:00Z"), end: at("2026-12-01T09:30:00Z") }];
    const two = [...one, { start: at("2026-12-01T14:00:00Z"), end: at("2026-12-01T14:30:00Z") }];
    expect(evaluateBookingRules([r], context({ doctorAppointments: one }))).toEqual([]);
    const violations = evaluateBookingRules([r], context({ doctorAppointments: two }));
    expect(violations).toEqual([{ ruleId: r.id, type: "maxAppointmentsPerDay", reason: expect.stringContaining("at most 2") }]);
    // An appointment on another local day does not count.
    const otherDay = [...one, { start: at("2026-12-02T00:30:00Z"), end: at("2026-12-02T01:00:00Z") }];
    expect(evaluateBookingRules([r], context({ doctorAppointments: otherDay }))).toEqual([]);
  });

  it("minGapMinutes measures both sides and refuses overlaps", () => {
    const r = rule({ type: "minGapMinutes", minutes: 15 });
    const before = (end: string) => [{ start: at("2026-12-01T09:00:00Z"), end: at(end) }];
    expect(evaluateBookingRules([r], context({ doctorAppointments: before("2026-12-01T09:45:00Z") }))).toEqual([]);
    expect(types(evaluateBookingRules([r], context({ doctorAppointments: before("2026-12-01T09:50:00Z") })))).toEqual(["minGapMinutes"]);
    const after = [{ start: at("2026-12-01T10:40:00Z"), end: at("2026-12-01T11:00:00Z") }];
    expect(types(evaluateBookingRules([r], context({ doctorAppointments: after })))).toEqual(["minGapMinutes"]);
    const overlapping = [{ start: at("2026-12-01T10:15:00Z"), end: at("2026-12-01T10:45:00Z") }];
    expect(types(evaluateBookingRules([r], context({ doctorAppointments: overlapping })))).toEqual(["minGapMinutes"]);
  });

  it("maxDaysInAdvance counts calendar days in the clinic's zone", () => {
    const r = rule({ type: "maxDaysInAdvance", days: 1 });
    expect(evaluateBookingRules([r], context())).toEqual([]); // tomorrow
    expect(types(evaluateBookingRules([r], context({}, { start: at("2026-12-02T10:00:00Z"), end: at("2026-12-02T10:30:00Z") })))).toEqual([
      "maxDaysInAdvance",
    ]);
  });

  it("minNoticeMinutes", () => {
    const r = rule({ type: "minNoticeMinutes", minutes: 120 });
    expect(evaluateBookingRules([r], context({ now: at("2026-12-01T08:00:00Z") }))).toEqual([]);
    expect(types(evaluateBookingRules([r], context({ now: at("2026-12-01T08:01:00Z") })))).toEqual(["minNoticeMinutes"]);
  });

  it("maxActiveBookingsPerPatient, skipped when the count is unknown", () => {
    const r = rule({ type: "maxActiveBookingsPerPatient", max: 3 });
    expect(evaluateBookingRules([r], context())).toEqual([]);
    expect(evaluateBookingRules([r], context({ patientActiveBookings: 2 }))).toEqual([]);
    expect(types(evaluateBookingRules([r], context({ patientActiveBookings: 3 })))).toEqual(["maxActiveBookingsPerPatient"]);
  });

  it("sameDayCutoff applies only to today's slots, from the cut-off on", () => {
    const r = rule({ type: "sameDayCutoff", time: "12:00" });
    const slot = { start: at("2026-12-01T15:00:00Z"), end: at("2026-12-01T15:30:00Z") };
    expect(evaluateBookingRules([r], context({ now: at("2026-12-01T11:59:00Z") }, slot))).toEqual([]);
    expect(types(evaluateBookingRules([r], context({ now: at("2026-12-01T12:00:00Z") }, slot)))).toEqual(["sameDayCutoff"]);
    // Tomorrow's slot is not a same-day booking.
    expect(evaluateBookingRules([r], context({ now: at("2026-11-30T20:00:00Z") }, slot))).toEqual([]);
  });

  it("sameDayCutoff is clinic wall-clock time on DST days", () => {
    const r = rule({ type: "sameDayCutoff", time: "12:00" });
    // London springs forward on 2027-03-28: 12:00 local is 11:00Z.
    const spring = { start: at("2027-03-28T15:00:00Z"), end: at("2027-03-28T15:30:00Z") };
    expect(evaluateBookingRules([r], context({ now: at("2027-03-28T10:59:00Z") }, spring))).toEqual([]);
    expect(types(evaluateBookingRules([r], context({ now: at("2027-03-28T11:00:00Z") }, spring)))).toEqual(["sameDayCutoff"]);
    // It falls back on 2026-10-25: 12:00 local is 12:00Z.
    const autumn = { start: at("2026-10-25T15:00:00Z"), end: at("2026-10-25T15:30:00Z") };
    expect(evaluateBookingRules([r], context({ now: at("2026-10-25T11:59:00Z") }, autumn))).toEqual([]);
    expect(types(evaluateBookingRules([r], context({ now: at("2026-10-25T12:00:00Z") }, autumn)))).toEqual(["sameDayCutoff"]);
    // And in a zone far from UTC, the local day decides "same day": 00:30 in Kolkata is still the previous UTC day.
    const kolkata = { start: at("2026-12-01T03:30:00Z"), end: at("2026-12-01T04:00:00Z") };
    const early = rule({ type: "sameDayCutoff", time: "00:15" });
    expect(types(evaluateBookingRules([early], context({ timeZone: "Asia/Kolkata", now: at("2026-11-30T19:00:00Z") }, kolkata)))).toEqual([
      "sameDayCutoff",
    ]);
  });
});

describe("evaluateBookingRules: scope and many rules", () => {
  it("applies clinic-wide, per-doctor, per-service and doctor+service rules only when they match", () => {
    const tight = { type: "minNoticeMinutes", minutes: 10_000 } as const;
    const rules = [
      rule(tight),
      rule(tight, { doctorId }),
      rule(tight, { doctorId: otherDoctor }),
      rule(tight, { serviceId }),
      rule(tight, { serviceId: otherService }),
      rule(tight, { doctorId, serviceId }),
      rule(tight, { doctorId, serviceId: otherService }),
      rule(tight, { clinicId: otherClinic }),
    ];
    const violations = evaluateBookingRules(rules, context());
    expect(violations.map((v) => v.ruleId)).toEqual([rules[0]!.id, rules[1]!.id, rules[3]!.id, rules[5]!.id]);
    // A slot without a service matches only rules without one.
    const noService = evaluateBookingRules(rules, context({}, { serviceId: null }));
    expect(noService.map((v) => v.ruleId)).toEqual([rules[0]!.id, rules[1]!.id]);
  });

  it("returns every violated rule, not just the first, each with its reason", () => {
    const rules = [
      rule({ type: "maxAppointmentsPerDay", max: 1 }),
      rule({ type: "minGapMinutes", minutes: 30 }),
      rule({ type: "maxDaysInAdvance", days: 30 }),
      rule({ type: "sameDayCutoff", time: "08:00" }),
      rule({ type: "minNoticeMinutes", minutes: 60 }),
      rule({ type: "maxActiveBookingsPerPatient", max: 1 }),
    ];
    const violations = evaluateBookingRules(
      rules,
      context({
        now: at("2026-12-01T09:30:00Z"),
        doctorAppointments: [{ start: at("2026-12-01T10:30:00Z"), end: at("2026-12-01T11:00:00Z") }],
        patientActiveBookings: 1,
      }),
    );
    expect(types(violations)).toEqual(["maxAppointmentsPerDay", "minGapMinutes", "sameDayCutoff", "minNoticeMinutes", "maxActiveBookingsPerPatient"]);
    for (const violation of violations) expect(violation.reason.length).toBeGreaterThan(10);
  });
});
