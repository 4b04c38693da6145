/**
 * A doctor's contract — employment type and weekly hours cap — with the hours their active rules
 * give in each week of the horizon (docs/scheduling.md "Contracted hours"). Set by an admin of a
 * clinic where the doctor works (or the platform), never by the doctor: the cap and the locum rule
 * bind the doctor's own rule writes. A change that the doctor's rules already break is refused.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { DoctorContractRequest, WeeklyHours } from "@clinic/shared";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { unprocessable } from "../../platform/errors";
import {
  activeRuleShapes,
  assertWithinCap,
  isSingleDay,
  lockedContract,
  requireDoctorAtClinic,
  weeklyHoursOf,
  type SchedulingSettings,
} from "./availability-rule.service";
import { sql } from "./conflicts.service";

export async function doctorContract(em: EntityManager, doctorId: string, clinicId: string, settings: SchedulingSettings): Promise<WeeklyHours> {
  const doctor = await requireDoctorAtClinic(em, doctorId, clinicId);
  return {
    doctorId,
    employmentType: doctor.employmentType,
    maxHoursPerWeek: doctor.maxHoursPerWeek ?? null,
    weeks: weeklyHoursOf(await activeRuleShapes(em, doctorId), settings),
  };
}

export async function setDoctorContract(
  em: EntityManager,
  actor: AuditActor,
  doctorId: string,
  clinicId: string,
  input: DoctorContractRequest,
  settings: SchedulingSettings,
): Promise<WeeklyHours> {
  return em.transactional(async (tx) => {
    await requireDoctorAtClinic(tx, doctorId, clinicId);
    // The same lock rule writes take: the cap is checked on the rules as they will stay.
    const before = await lockedContract(tx, doctorId);
    const rules = await activeRuleShapes(tx, doctorId);
    if (input.employmentType === "locum") {
      const lasting = rules.filter((rule) => !isSingleDay(rule)).map((rule) => rule.id);
      if (lasting.length > 0) {
        throw unprocessable("LOCUM_AD_HOC_ONLY", "The doctor has repeating rules; end them before making the doctor a locum", {
          field: "body.employmentType",
          ruleIds: lasting,
        });
      }
    }
    const weeks = weeklyHoursOf(rules, settings);
    assertWithinCap(weeks, input.maxHoursPerWeek);
    await sql(tx, `update doctor set employment_type = ?, max_hours_per_week = ?, updated_at = now() where id = ?`, [
      input.employmentType,
      input.maxHoursPerWeek,
      doctorId,
    ]);
    const after = { employmentType: input.employmentType, maxHoursPerWeek: input.maxHoursPerWeek };
    recordAudit(tx, actor, { action: "doctor.contract.update", entityType: "Doctor", entityId: doctorId, clinicId, before, after });
    return { doctorId, ...after, weeks };
  });
}
