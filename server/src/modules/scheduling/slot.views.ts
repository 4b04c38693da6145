/** Scheduling entities → reply shapes (`@clinic/shared` scheduling-availability-api). */
import type { AvailabilityRuleView, OverbookingPolicyView, ScheduleTemplateView, StaffSlotView } from "@clinic/shared";
import type { AvailabilityRule } from "./availability-rule.entity";
import type { OverbookingPolicy } from "./booking-rule.entity";
import type { ScheduleTemplate } from "./schedule-template.entity";
import { ruleShape } from "./rule-expansion";
import type { Slot } from "./slot.entity";

export function ruleView(rule: AvailabilityRule): AvailabilityRuleView {
  return {
    id: rule.id,
    doctorId: rule.doctor.id,
    clinicId: rule.clinic.id,
    serviceId: rule.service?.id ?? null,
    kind: rule.kind,
    ...ruleShape(rule),
    tags: rule.tags,
    note: rule.note ?? null,
    colour: rule.colour ?? null,
    active: rule.active,
    createdAt: rule.createdAt.toISOString(),
    updatedAt: rule.updatedAt.toISOString(),
  };
}

export function staffSlotView(slot: Slot): StaffSlotView {
  return {
    id: slot.id,
    doctorId: slot.doctor.id,
    clinicId: slot.clinic.id,
    ruleId: slot.rule?.id ?? null,
    serviceId: slot.service?.id ?? null,
    start: slot.startsAt.toISOString(),
    end: slot.endsAt.toISOString(),
    status: slot.status,
    kind: slot.kind,
    tags: slot.tags,
    note: slot.note ?? null,
    holdExpiresAt: slot.holdExpiresAt?.toISOString() ?? null,
    overbooked: slot.overbooked,
    overbookedBy: slot.overbookedBy?.id ?? null,
    overbookReason: slot.overbookReason ?? null,
    version: slot.version,
  };
}

export function templateView(template: ScheduleTemplate): ScheduleTemplateView {
  return {
    id: template.id,
    clinicId: template.clinic.id,
    name: template.name,
    span: template.span,
    entries: template.entries,
    createdAt: template.createdAt.toISOString(),
  };
}

export function overbookingPolicyView(policy: OverbookingPolicy): OverbookingPolicyView {
  return {
    id: policy.id,
    clinicId: policy.clinic.id,
    doctorId: policy.doctor?.id ?? null,
    serviceId: policy.service?.id ?? null,
    capPerDay: policy.capPerDay,
    allowedBy: policy.allowedBy?.id ?? null,
    reason: policy.reason,
    createdAt: policy.createdAt.toISOString(),
  };
}
