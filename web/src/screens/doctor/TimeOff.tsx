/**
 * Time off: the doctor's leave (and their clinics' closures) ahead, new leave after a conflict check
 * (POST …/unavailability with `dryRun: true`: which free slots it blocks and which booked
 * appointments it hits, with the patients' names), and deleting leave (its slots re-open).
 */
import { useId, useState } from "react";
import {
  appointmentListSchema,
  dayPatientListSchema,
  deleteUnavailabilityResultSchema,
  localDateOf,
  unavailabilityListSchema,
  unavailabilityResultSchema,
  zonedToInstant,
  type OperationSlot,
  type UnavailabilityResult,
  type UnavailabilityView,
} from "@clinic/shared";
import { Checkbox } from "../../components/Checkbox";
import { FormError, SelectField, TextField, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import { formatDateTime } from "../../lib/format";
import type { Session } from "../../lib/session";
import { useLoad } from "../../lib/useLoad";
import { DoctorFrame, type DoctorContext } from "./DoctorFrame";
import { askToConfirm } from "../../components/Confirm";

const KINDS = { vacation: "Vacation", conference: "Conference", surgery: "Surgery", emergency_leave: "Emergency leave", holiday: "Holiday (clinic)", closure: "Closure (clinic)" } as const;
/** Names are looked up for the affected appointments of at most this many days. */
const MAX_NAMED_DAYS = 14;

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

interface Hit {
  slot: OperationSlot;
  patient: string | null;
}

/** The booked slots the leave hits, with the patients' names from those days' appointments. */
async function namedHits(doctorId: string, slots: OperationSlot[], tz: string): Promise<Hit[]> {
  const days = [...new Set(slots.map((s) => localDateOf(new Date(s.start), tz)))].slice(0, MAX_NAMED_DAYS);
  const bySlot = new Map<string, string>();
  await Promise.all(
    days.map(async (date) => {
      const [day, patients] = await Promise.all([
        api(`/doctors/${doctorId}/day?date=${date}`, { schema: appointmentListSchema }),
        api(`/doctors/${doctorId}/day/patients?date=${date}`, { schema: dayPatientListSchema }),
      ]);
      const names = new Map(patients.items.map((p) => [p.patientId, p.fullName]));
      for (const a of day.items) if (a.slotId) bySlot.set(a.slotId, names.get(a.patientId) ?? "a patient");
    }),
  );
  return slots.map((slot) => ({ slot, patient: slot.id ? (bySlot.get(slot.id) ?? null) : null }));
}

export function TimeOff({ session }: { session: Session }) {
  return <DoctorFrame session={session} title="Time off">{(context) => <Leave key={context.clinic.id} {...context} />}</DoctorFrame>;
}

function Leave({ doctorId, clinic }: DoctorContext) {
  const id = useId();
  const tz = clinic.timeZone;
  const today = localDateOf(new Date(), tz);
  const list = useLoad(
    ["time-off", doctorId],
    async (signal) => (await api(`/doctors/${doctorId}/unavailability?from=${encodeURIComponent(new Date().toISOString())}`, { schema: unavailabilityListSchema, signal })).items,
  );
  const [form, setForm] = useState({ kind: "vacation", scope: "clinic", fromDate: today, fromTime: "00:00", untilDate: today, untilTime: "23:59", reason: "", autoCancel: false });
  const [check, setCheck] = useState<{ key: string; result: UnavailabilityResult; hits: Hit[] } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const set = (field: keyof typeof form, value: string | boolean) => setForm((f) => ({ ...f, [field]: value }));

  const instant = (date: string, time: string) => (date && time ? zonedToInstant(date, time, tz).toISOString() : `${date}T${time}`);
  const body = {
    ...(form.scope === "clinic" ? { clinicId: clinic.id } : {}),
    kind: form.kind,
    startsAt: instant(form.fromDate, form.fromTime),
    endsAt: instant(form.untilDate, form.untilTime),
    reason: form.reason,
    autoCancel: form.autoCancel,
  };
  const key = JSON.stringify(body);
  const current = check?.key === key ? check : null;

  const dryRun = useSubmit(async () => {
    setMessage(null);
    const result = await api(`/doctors/${doctorId}/unavailability`, { method: "POST", body: { ...body, dryRun: true }, schema: unavailabilityResultSchema });
    setCheck({ key, result, hits: await namedHits(doctorId, result.affected, tz) });
  });
  const save = useSubmit(async () => {
    const result = await api(`/doctors/${doctorId}/unavailability`, { method: "POST", body, schema: unavailabilityResultSchema });
    setCheck(null);
    setForm((f) => ({ ...f, reason: "" }));
    setMessage(`Time off saved: ${plural(result.blocked.length, "free slot")} blocked${result.cancelled.length ? `, ${plural(result.cancelled.length, "appointment")} cancelled (patients told)` : ""}.`);
    await list.reload();
  });
  const remove = useSubmit(async (item: UnavailabilityView) => {
    if (!(await askToConfirm(`Delete this ${KINDS[item.kind].toLowerCase()}? Its blocked slots open again.`, "Delete"))) return;
    const reply = await api(`/unavailability/${item.id}`, { method: "DELETE", schema: deleteUnavailabilityResultSchema });
    setMessage(`Time off deleted: ${plural(reply.reopened.length, "slot")} open again.`);
    await list.reload();
  });
  const errors = { ...dryRun.fieldErrors, ...save.fieldErrors };

  return (
    <>
      <section className="panel" aria-labelledby={`${id}-list`}>
        <h2 id={`${id}-list`}>Coming up</h2>
        <p role="status">{message}</p>
        <FormError message={remove.formError} />
        <Async state={list.state} retry={() => void list.reload()} isEmpty={(items) => items.length === 0} empty="No time off planned.">
          {(items) => (
            <ul className="doctor-list" data-testid="time-off">
              {items.map((item) => (
                <li key={item.id}>
                  <span className="doctor-grow">
                    <strong>{KINDS[item.kind]}</strong> · {formatDateTime(item.startsAt, tz)} – {item.endsAt ? formatDateTime(item.endsAt, tz) : "until further notice"}
                    <br />
                    <span className="doctor-muted">{item.clinicId === null ? "All clinics" : item.clinicId === clinic.id ? clinic.name : "Another clinic"}{item.reason ? ` · ${item.reason}` : ""}</span>
                  </span>
                  {item.doctorId !== null && (
                    <button type="button" className="button button-quiet" onClick={() => void remove.run(item)} aria-label={`Delete ${KINDS[item.kind]} from ${formatDateTime(item.startsAt, tz)}`}>Delete</button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </Async>
      </section>

      <section className="panel" aria-labelledby={`${id}-new`}>
        <h2 id={`${id}-new`}>Take time off</h2>
        <form onSubmit={dryRun.onSubmit()} noValidate>
          <FormError message={save.formError ?? dryRun.formError} />
          <div className="doctor-form-grid">
            <SelectField label="Kind" value={form.kind} onChange={(e) => set("kind", e.target.value)} error={errors.kind}>
              {(["vacation", "conference", "surgery", "emergency_leave"] as const).map((k) => <option key={k} value={k}>{KINDS[k]}</option>)}
            </SelectField>
            <SelectField label="Where" value={form.scope} onChange={(e) => set("scope", e.target.value)} error={errors.clinicId}>
              <option value="clinic">{clinic.name} only</option>
              <option value="all">All my clinics</option>
            </SelectField>
            <TextField label="From day" type="date" value={form.fromDate} onChange={(e) => set("fromDate", e.target.value)} error={errors.startsAt} />
            <TextField label="From time" type="time" value={form.fromTime} onChange={(e) => set("fromTime", e.target.value)} />
            <TextField label="Until day" type="date" value={form.untilDate} onChange={(e) => set("untilDate", e.target.value)} error={errors.endsAt} />
            <TextField label="Until time" type="time" value={form.untilTime} onChange={(e) => set("untilTime", e.target.value)} />
          </div>
          <TextField label="Reason" value={form.reason} onChange={(e) => set("reason", e.target.value)} error={errors.reason} hint={`Times are in ${tz}.`} />
          <Checkbox label="Cancel the booked appointments in this time too (the patients are told)" checked={form.autoCancel} onChange={(checked) => set("autoCancel", checked)} />
          <div className="doctor-button-row">
            <button type="submit" className="button" disabled={dryRun.busy}>{dryRun.busy ? "Checking…" : "Check conflicts"}</button>
            <button type="button" className="button" disabled={!current || save.busy} onClick={() => void save.run()}>{save.busy ? "Saving…" : "Save time off"}</button>
          </div>
          {!current && <p className="field-hint">Check conflicts first: you see which appointments the time off hits before it is saved.</p>}
          <div role="status">{current && <ConflictReport result={current.result} hits={current.hits} tz={tz} autoCancel={form.autoCancel} />}</div>
        </form>
      </section>
    </>
  );
}

function ConflictReport({ result, hits, tz, autoCancel }: { result: UnavailabilityResult; hits: Hit[]; tz: string; autoCancel: boolean }) {
  return (
    <section className={`doctor-preview${hits.length ? " doctor-preview-warning" : ""}`} aria-label="Conflicts" data-testid="time-off-preview">
      <h3>{hits.length ? `${hits.length} booked appointment${hits.length === 1 ? "" : "s"} in this time` : "No booked appointments in this time"}</h3>
      <p>{result.blocked.length} free slot{result.blocked.length === 1 ? "" : "s"} will be blocked.</p>
      {hits.length > 0 && (
        <>
          <ul>
            {hits.map(({ slot, patient }) => (
              <li key={slot.id ?? slot.start}>
                {formatDateTime(slot.start, tz)} · {patient ?? (slot.status === "held" ? "a hold in progress" : "booked")}
              </li>
            ))}
          </ul>
          <p>
            <strong>{autoCancel ? "Saving cancels these appointments and tells the patients." : "These stay booked: saving does not cancel them, so arrange them yourself or tick “Cancel the booked appointments”."}</strong>
          </p>
        </>
      )}
    </section>
  );
}
