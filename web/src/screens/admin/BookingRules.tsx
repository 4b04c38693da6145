/**
 * Clinic admin: booking rules (limits checked when a patient books) with a check against one slot,
 * and the clinic's settings (ClinicSettings.tsx).
 */
import { useState } from "react";
import {
  bookingRuleCheckReplySchema,
  bookingRuleListSchema,
  bookingRuleSchema,
  bookingRuleTypes,
  clinicServiceListSchema,
  type BookingRuleSpec,
  type BookingRuleView,
  type ClinicSummary,
  type RuleViolation,
} from "@clinic/shared";
import { FormError, SelectField, TextField, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import type { Session } from "../../lib/session";
import { useLoad } from "../../lib/useLoad";
import { DoctorSelect, useClinicDoctors } from "../../components/Doctors";
import { AdminFrame } from "./AdminFrame";
import { ClinicSettingsForm } from "./ClinicSettings";
import { askToConfirm } from "../../components/Confirm";

type RuleType = (typeof bookingRuleTypes)[number];
const TYPES: Record<RuleType, { label: string; param: string; unit: string }> = {
  maxAppointmentsPerDay: { label: "Most appointments per doctor per day", param: "max", unit: "appointments" },
  minGapMinutes: { label: "Least gap between a doctor's appointments", param: "minutes", unit: "minutes" },
  maxDaysInAdvance: { label: "Furthest ahead a patient may book", param: "days", unit: "days" },
  sameDayCutoff: { label: "No same-day booking after", param: "time", unit: "HH:MM" },
  minNoticeMinutes: { label: "Least notice before a visit", param: "minutes", unit: "minutes" },
  maxActiveBookingsPerPatient: { label: "Most upcoming bookings per patient", param: "max", unit: "bookings" },
};

function specText(spec: BookingRuleSpec): string {
  const { label, param, unit } = TYPES[spec.type];
  return `${label}: ${String((spec as Record<string, unknown>)[param])}${unit === "HH:MM" ? "" : ` ${unit}`}`;
}

export function BookingRules({ session }: { session: Session }) {
  return (
    <AdminFrame session={session} title="Booking rules and settings">
      {(clinic) => (
        <>
          <RuleList clinic={clinic} />
          <ClinicSettingsForm clinic={clinic} />
        </>
      )}
    </AdminFrame>
  );
}

function RuleList({ clinic }: { clinic: ClinicSummary }) {
  const rules = useLoad(["booking-rules", clinic.id], async (signal) => (await api(`/clinics/${clinic.id}/booking-rules`, { schema: bookingRuleListSchema, signal })).items);
  const doctors = useClinicDoctors(clinic.id);
  const services = useLoad(["clinic-services", clinic.id], async (signal) => (await api(`/clinics/${clinic.id}/services`, { schema: clinicServiceListSchema, signal })).items);
  const [notice, setNotice] = useState("");
  const nameOf = (rule: BookingRuleView) =>
    [rule.doctorId ? (doctors.state.data?.find((d) => d.id === rule.doctorId)?.displayName ?? "one doctor") : "every doctor",
      rule.serviceId ? (services.state.data?.find((s) => s.id === rule.serviceId)?.name ?? "one service") : "every service"].join(", ");
  const change = useSubmit(async (rule: BookingRuleView, action: "toggle" | "delete") => {
    if (action === "delete") {
      if (!(await askToConfirm(`Delete the rule "${specText(rule.spec)}"?`, "Delete the rule"))) return;
      await api(`/booking-rules/${rule.id}`, { method: "DELETE" });
      setNotice("Rule deleted.");
    } else {
      await api(`/booking-rules/${rule.id}`, { method: "PATCH", body: { active: !rule.active }, schema: bookingRuleSchema });
      setNotice(rule.active ? "Rule paused." : "Rule turned on.");
    }
    await rules.reload();
  });

  return (
    <>
      <section className="panel" aria-labelledby="rules">
        <h2 id="rules">Booking rules</h2>
        <p className="field-hint">A booking that breaks an active rule is refused, with the rule named.</p>
        <p role="status" className="admin-notice">{notice}</p>
        <FormError message={change.formError} />
        <Async state={rules.state} retry={() => void rules.reload()} isEmpty={(items) => items.length === 0} empty="No booking rules: any free slot can be booked.">
          {(items) => (
            <ul className="admin-list" data-testid="booking-rules">
              {items.map((rule) => (
                <li key={rule.id} className="admin-row">
                  <span><strong>{specText(rule.spec)}</strong> — {nameOf(rule)} <span className="badge">{rule.active ? "Active" : "Paused"}</span></span>
                  <span className="admin-actions">
                    <button type="button" className="button button-quiet" onClick={() => void change.run(rule, "toggle")}>{rule.active ? "Pause" : "Turn on"}<span className="visually-hidden"> {specText(rule.spec)}</span></button>
                    <button type="button" className="button button-quiet" onClick={() => void change.run(rule, "delete")}>Delete<span className="visually-hidden"> {specText(rule.spec)}</span></button>
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Async>
        <NewRule clinicId={clinic.id} doctors={doctors.state.data} services={services.state.data ?? []}
          onCreated={async (rule) => { setNotice(`Rule added: ${specText(rule.spec)}.`); await rules.reload(); }} />
      </section>
      <CheckSlot clinicId={clinic.id} />
    </>
  );
}

function NewRule({ clinicId, doctors, services, onCreated }: {
  clinicId: string;
  doctors: Parameters<typeof DoctorSelect>[0]["doctors"];
  services: { id: string; name: string }[];
  onCreated(rule: BookingRuleView): Promise<void>;
}) {
  const [type, setType] = useState<RuleType>("maxAppointmentsPerDay");
  const [value, setValue] = useState("");
  const [doctorId, setDoctorId] = useState("");
  const [serviceId, setServiceId] = useState("");
  const { param, unit } = TYPES[type];
  const save = useSubmit(async () => {
    const spec = { type, [param]: param === "time" ? value : Number(value || NaN) };
    const rule = await api(`/clinics/${clinicId}/booking-rules`, {
      method: "POST",
      body: { spec, doctorId: doctorId || null, serviceId: serviceId || null },
      schema: bookingRuleSchema,
    });
    setValue("");
    await onCreated(rule);
  });
  return (
    <form onSubmit={save.onSubmit()} noValidate className="admin-subform" aria-labelledby="rule-new">
      <h3 id="rule-new">Add a rule</h3>
      <FormError message={save.formError} />
      <div className="admin-form">
        <SelectField label="Rule" value={type} onChange={(e) => { setType(e.target.value as RuleType); setValue(""); }}>
          {bookingRuleTypes.map((t) => <option key={t} value={t}>{TYPES[t].label}</option>)}
        </SelectField>
        <TextField label={`Limit (${unit})`} type={param === "time" ? "time" : "number"} min={0} value={value}
          onChange={(e) => setValue(e.target.value)} error={save.fieldErrors[`spec.${param}`]} />
        <DoctorSelect doctors={doctors} value={doctorId} onChange={setDoctorId} label="For doctor (blank: every doctor)" />
        <SelectField label="For service" value={serviceId} onChange={(e) => setServiceId(e.target.value)} error={save.fieldErrors.serviceId}>
          <option value="">Every service</option>
          {services.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
        </SelectField>
      </div>
      <button type="submit" className="button" disabled={save.busy}>{save.busy ? "Adding…" : "Add rule"}</button>
    </form>
  );
}

function CheckSlot({ clinicId }: { clinicId: string }) {
  const [slotId, setSlotId] = useState("");
  const [violations, setViolations] = useState<RuleViolation[] | null>(null);
  const check = useSubmit(async () => {
    setViolations(null);
    setViolations((await api(`/clinics/${clinicId}/booking-rules/check`, { method: "POST", body: { slotId: slotId.trim() }, schema: bookingRuleCheckReplySchema })).violations);
  });
  return (
    <section className="panel" aria-labelledby="rule-check">
      <h2 id="rule-check">Check a slot against the rules</h2>
      <form onSubmit={check.onSubmit()} noValidate>
        <FormError message={check.formError} />
        <TextField label="Slot id" value={slotId} onChange={(e) => setSlotId(e.target.value)} error={check.fieldErrors.slotId} className="mono" />
        <button type="submit" className="button button-quiet" disabled={check.busy}>Check</button>
      </form>
      {violations && (
        <div role="status">
          {violations.length === 0 ? <p>No rule stops booking this slot.</p> : (
            <ul className="admin-list">{violations.map((v) => <li key={v.ruleId}><strong>{TYPES[v.type].label}:</strong> {v.reason}</li>)}</ul>
          )}
        </div>
      )}
    </section>
  );
}
