/** My availability: the doctor's rules at a clinic — list, create and edit (after a preview), pause, delete. */
import { useId, useState } from "react";
import { availabilityRuleDeleteReplySchema, availabilityRuleListSchema, availabilityRuleWriteReplySchema, localDateOf, weeklyHoursSchema, type AvailabilityRuleView, type MaterialisationReport } from "@clinic/shared";
import { FormError, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import type { Session } from "../../lib/session";
import { useLoad } from "../../lib/useLoad";
import { DoctorFrame, type DoctorContext } from "./DoctorFrame";
import { RuleForm } from "./RuleForm";
import { askToConfirm } from "../../components/Confirm";

const DAY_NAMES = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const KIND = { regular: "Appointments", walk_in: "Walk-ins", emergency: "Emergencies" } as const;

export function describeRule(rule: AvailabilityRuleView): string {
  const every = rule.recurrence.interval > 1 ? `Every ${rule.recurrence.interval} ${rule.recurrence.freq === "weekly" ? "weeks" : "days"}` : rule.recurrence.freq === "weekly" ? "Weekly" : "Daily";
  const days = rule.recurrence.freq === "weekly" ? ` on ${rule.recurrence.weekdays.map((d) => DAY_NAMES[d]).join(", ")}` : "";
  const breaks = rule.breaks.length ? ` (break ${rule.breaks.map((b) => `${b.start}–${b.end}`).join(", ")})` : "";
  return `${every}${days}, ${rule.startTime}–${rule.endTime}${breaks}, ${rule.slotMinutes}-minute slots`;
}

function reportText(report: MaterialisationReport): string {
  const parts = [`${report.created} slots created`, `${report.kept} kept`, `${report.removed} removed`];
  if (report.conflicts.length) parts.push(`${report.conflicts.length} booked or blocked slots left in place outside the rule`);
  return parts.join(", ") + ".";
}

const CONTRACT = { full_time: "Full-time", part_time: "Part-time", locum: "Locum (single-day rules only)" } as const;

/** The contract the clinic set and this week's hours against its cap, reloaded after each change of the rules. */
function ContractLine({ doctorId, clinicId, reloadKey }: { doctorId: string; clinicId: string; reloadKey: string | null }) {
  const contract = useLoad(
    ["doctor-contract", doctorId, clinicId, reloadKey],
    (signal) => api(`/clinics/${clinicId}/doctors/${doctorId}/contract`, { schema: weeklyHoursSchema, signal }),
  );
  const hours = contract.state.data;
  if (!hours) return null;
  const busiest = hours.weeks.reduce((max, week) => Math.max(max, week.hours), 0);
  return (
    <p className="doctor-muted" data-testid="contract">
      {CONTRACT[hours.employmentType]}
      {hours.maxHoursPerWeek !== null ? ` · at most ${hours.maxHoursPerWeek} h a week` : ""}
      {hours.maxHoursPerWeek !== null && busiest > 0 ? `; your rules give up to ${busiest} h` : ""}
    </p>
  );
}

export function Availability({ session }: { session: Session }) {
  return <DoctorFrame session={session} title="My availability">{(context) => <Rules key={context.clinic.id} {...context} />}</DoctorFrame>;
}

function Rules({ doctorId, clinic }: DoctorContext) {
  const id = useId();
  const today = localDateOf(new Date(), clinic.timeZone);
  const rules = useLoad(
    ["availability-rules", doctorId, clinic.id],
    async (signal) => (await api(`/doctors/${doctorId}/availability-rules?clinicId=${clinic.id}`, { schema: availabilityRuleListSchema, signal })).items,
  );
  const [editing, setEditing] = useState<AvailabilityRuleView | "new" | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const saved = (verb: string) => (report: MaterialisationReport) => {
    setEditing(null);
    setMessage(`Rule ${verb}: ${reportText(report)}`);
    void rules.reload();
  };
  const change = useSubmit(async (rule: AvailabilityRuleView, what: "pause" | "resume" | "delete") => {
    setMessage(null);
    if (what === "delete") {
      if (!(await askToConfirm(`Delete the rule "${describeRule(rule)}"? Its free future slots are removed; booked ones stay.`, "Delete the rule"))) return;
      const reply = await api(`/availability-rules/${rule.id}`, { method: "DELETE", schema: availabilityRuleDeleteReplySchema });
      setMessage(`Rule deleted: ${reportText(reply.materialisation)}`);
    } else {
      const reply = await api(`/availability-rules/${rule.id}`, { method: "PATCH", body: { active: what === "resume" }, schema: availabilityRuleWriteReplySchema });
      setMessage(`Rule ${what === "pause" ? "paused" : "resumed"}: ${reportText(reply.materialisation)}`);
    }
    await rules.reload();
  });

  return (
    <section className="panel" aria-labelledby={`${id}-rules`}>
      <h2 id={`${id}-rules`}>Rules at {clinic.name}</h2>
      <ContractLine doctorId={doctorId} clinicId={clinic.id} reloadKey={message} />
      <p role="status">{message}</p>
      <FormError message={change.formError} />
      <Async state={rules.state} retry={() => void rules.reload()} isEmpty={(items) => items.length === 0} empty="No availability rules yet: add one below.">
        {(items) => (
          <ul className="doctor-list" data-testid="rules">
            {items.map((rule) => (
              <li key={rule.id}>
                <span className="doctor-grow">
                  <strong>{describeRule(rule)}</strong>
                  <br />
                  <span className="doctor-muted">
                    {KIND[rule.kind]} · from {rule.validFrom}{rule.validUntil ? ` until ${rule.validUntil}` : ""}{rule.note ? ` · ${rule.note}` : ""}
                  </span>
                </span>
                {!rule.active && <span className="badge doctor-patient-done">Paused</span>}
                <button type="button" className="button button-quiet" onClick={() => setEditing(rule)} aria-label={`Edit ${describeRule(rule)}`}>Edit</button>
                <button type="button" className="button button-quiet" onClick={() => void change.run(rule, rule.active ? "pause" : "resume")}
                  aria-label={`${rule.active ? "Pause" : "Resume"} ${describeRule(rule)}`}>{rule.active ? "Pause" : "Resume"}</button>
                <button type="button" className="button button-quiet" onClick={() => void change.run(rule, "delete")} aria-label={`Delete ${describeRule(rule)}`}>Delete</button>
              </li>
            ))}
          </ul>
        )}
      </Async>
      {editing === null ? (
        <div className="doctor-button-row"><button type="button" className="button" onClick={() => { setMessage(null); setEditing("new"); }}>Add a rule</button></div>
      ) : (
        <RuleForm key={editing === "new" ? "new" : editing.id} doctorId={doctorId} clinic={clinic} rule={editing === "new" ? null : editing} today={today}
          onSaved={saved(editing === "new" ? "created" : "saved")} onCancel={() => setEditing(null)} />
      )}
    </section>
  );
}
