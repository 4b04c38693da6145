/**
 * The booking rules engine: a pure function from rules and a candidate booking to every rule the
 * booking would break. No I/O, no clock: the caller passes `now` and the facts it loaded.
 */
import { addDays, daysBetween, localDateOf, localTimeOf, zonedToInstant, type BookingRuleSpec, type RuleViolation } from "@clinic/shared";

/** Which bookings a rule applies to: a clinic, optionally narrowed to one doctor and/or one service. */
export interface BookingRuleScope {
  clinicId: string;
  doctorId: string | null;
  serviceId: string | null;
}

export interface BookingRuleInput {
  id: string;
  spec: BookingRuleSpec;
  scope: BookingRuleScope;
}

export interface BookingCandidate {
  start: Date;
  end: Date;
  doctorId: string;
  clinicId: string;
  serviceId: string | null;
}

export interface BookingRuleContext {
  slot: BookingCandidate;
  /** The clinic's IANA zone: days and cut-off times are the clinic's. */
  timeZone: string;
  now: Date;
  /** The doctor's other appointments on the slot's local day (the candidate itself excluded). */
  doctorAppointments: { start: Date; end: Date }[];
  /** The patient's active bookings; undefined when unknown (maxActiveBookingsPerPatient is then skipped). */
  patientActiveBookings?: number;
}

export function ruleApplies(scope: BookingRuleScope, slot: BookingCandidate): boolean {
  return (
    scope.clinicId === slot.clinicId &&
    (scope.doctorId === null || scope.doctorId === slot.doctorId) &&
    (scope.serviceId === null || scope.serviceId === slot.serviceId)
  );
}

const MINUTE = 60_000;

/** The reason a rule is broken, or null when the candidate satisfies it. */
function check(spec: BookingRuleSpec, context: BookingRuleContext): string | null {
  const { slot, timeZone, now } = context;
  const slotDay = localDateOf(slot.start, timeZone);
  switch (spec.type) {
    case "maxAppointmentsPerDay": {
      const sameDay = context.doctorAppointments.filter((a) => localDateOf(a.start, timeZone) === slotDay).length;
      return sameDay + 1 > spec.max
        ? `The doctor already has ${sameDay} appointments on ${slotDay}; at most ${spec.max} a day`
        : null;
    }
    case "minGapMinutes": {
      for (const other of context.doctorAppointments) {
        // Negative when the two overlap.
        const gap = Math.max(other.start.getTime() - slot.end.getTime(), slot.start.getTime() - other.end.getTime()) / MINUTE;
        if (gap < spec.minutes) {
          return `Only ${Math.max(0, Math.floor(gap))} minutes from the doctor's appointment at ${other.start.toISOString()}; at least ${spec.minutes} required`;
        }
      }
      return null;
    }
    case "maxDaysInAdvance": {
      // Calendar days in the clinic's zone: "30 days ahead" means up to the same date next month.
      const ahead = daysBetween(localDateOf(now, timeZone), slotDay);
      return ahead > spec.days ? `Bookable at most ${spec.days} days ahead (until ${addDays(localDateOf(now, timeZone), spec.days)}); this is ${ahead} days ahead` : null;
    }
    case "sameDayCutoff": {
      if (slotDay !== localDateOf(now, timeZone)) return null;
      // The cut-off as an instant on today's date, so a DST change that day is accounted for.
      const cutoff = zonedToInstant(slotDay, spec.time, timeZone);
      return now.getTime() >= cutoff.getTime()
        ? `Same-day bookings close at ${spec.time} clinic time (it is ${localTimeOf(now, timeZone)})`
        : null;
    }
    case "minNoticeMinutes": {
      const notice = (slot.start.getTime() - now.getTime()) / MINUTE;
      return notice < spec.minutes ? `Needs ${spec.minutes} minutes' notice; the slot starts in ${Math.floor(notice)}` : null;
    }
    case "maxActiveBookingsPerPatient": {
      const active = context.patientActiveBookings;
      if (active === undefined) return null;
      return active + 1 > spec.max ? `The patient already has ${active} active bookings; at most ${spec.max}` : null;
    }
  }
}

/** Every violated rule among those whose scope matches the candidate, in the order given. */
export function evaluateBookingRules(rules: BookingRuleInput[], context: BookingRuleContext): RuleViolation[] {
  const violations: RuleViolation[] = [];
  for (const rule of rules) {
    if (!ruleApplies(rule.scope, context.slot)) continue;
    const reason = check(rule.spec, context);
    if (reason !== null) violations.push({ ruleId: rule.id, type: rule.spec.type, reason });
  }
  return violations;
}
