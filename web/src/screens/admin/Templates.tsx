/**
 * Clinic admin: availability templates (a day or a week of working hours), applied to a doctor over
 * a date range with a dry run first; plus the bulk slot changes and cloning (BulkSlots.tsx).
 */
import { useState } from "react";
import { applyTemplateReplySchema, scheduleTemplateListSchema, scheduleTemplateSchema, type ClinicSummary, type ScheduleTemplateView } from "@clinic/shared";
import { FormError, SelectField, TextField, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import type { Session } from "../../lib/session";
import { useLoad } from "../../lib/useLoad";
import { DoctorSelect, useClinicDoctors } from "../../components/Doctors";
import { AdminFrame, dayFromToday } from "./AdminFrame";
import { BulkSlots, CloneSlots } from "./BulkSlots";
import { DryRunControls, useDryRun } from "./DryRun";

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

export function Templates({ session }: { session: Session }) {
  return (
    <AdminFrame session={session} title="Templates and bulk changes" intro="Every change here is previewed first; nothing is written until you press Apply.">
      {(clinic) => <TemplatePages clinic={clinic} />}
    </AdminFrame>
  );
}

function TemplatePages({ clinic }: { clinic: ClinicSummary }) {
  const templates = useLoad(["clinic-templates", clinic.id], async (signal) => (await api(`/clinics/${clinic.id}/templates`, { schema: scheduleTemplateListSchema, signal })).items);
  const doctors = useClinicDoctors(clinic.id);
  return (
    <>
      <section className="panel" aria-labelledby="tpl-list">
        <h2 id="tpl-list">Templates</h2>
        <Async state={templates.state} retry={() => void templates.reload()} isEmpty={(items) => items.length === 0} empty="No templates yet.">
          {(items) => (
            <ul className="admin-list" data-testid="templates">
              {items.map((t) => <li key={t.id}><strong>{t.name}</strong> ({t.span}) — {t.entries.map(entryText(t)).join("; ")}</li>)}
            </ul>
          )}
        </Async>
        <CreateTemplate clinicId={clinic.id} onCreated={() => void templates.reload()} />
      </section>
      <ApplyTemplate templates={templates.state.data ?? []} doctors={doctors.state.data} />
      <BulkSlots clinic={clinic} doctors={doctors.state.data} />
      <CloneSlots clinic={clinic} doctors={doctors.state.data} />
    </>
  );
}

const entryText = (t: ScheduleTemplateView) => (e: ScheduleTemplateView["entries"][number]) =>
  `${t.span === "week" ? WEEKDAYS[e.dayOffset]!.slice(0, 3) + " " : ""}${e.startTime}–${e.endTime} × ${e.slotMinutes} min`;

interface EntryDraft { dayOffset: string; startTime: string; endTime: string; slotMinutes: string }
const NEW_ENTRY: EntryDraft = { dayOffset: "0", startTime: "09:00", endTime: "12:00", slotMinutes: "15" };

function CreateTemplate({ clinicId, onCreated }: { clinicId: string; onCreated(): void }) {
  const [name, setName] = useState("");
  const [span, setSpan] = useState<"day" | "week">("week");
  const [entries, setEntries] = useState<EntryDraft[]>([NEW_ENTRY]);
  const [notice, setNotice] = useState("");
  const setEntry = (i: number, patch: Partial<EntryDraft>) => setEntries((all) => all.map((e, k) => (k === i ? { ...e, ...patch } : e)));
  const save = useSubmit(async () => {
    const body = {
      name,
      span,
      entries: entries.map((e) => ({ dayOffset: span === "day" ? 0 : Number(e.dayOffset), startTime: e.startTime, endTime: e.endTime, slotMinutes: Number(e.slotMinutes) })),
    };
    const saved = await api(`/clinics/${clinicId}/templates`, { method: "POST", body, schema: scheduleTemplateSchema });
    setNotice(`Template "${saved.name}" saved.`);
    setName("");
    setEntries([NEW_ENTRY]);
    onCreated();
  });
  const err = save.fieldErrors;
  return (
    <form onSubmit={save.onSubmit()} noValidate className="admin-subform" aria-labelledby="tpl-new">
      <h3 id="tpl-new">New template</h3>
      <FormError message={save.formError} />
      <p role="status" className="admin-notice">{notice}</p>
      <div className="admin-form">
        <TextField label="Template name" value={name} onChange={(e) => setName(e.target.value)} error={err.name} />
        <SelectField label="Covers" value={span} onChange={(e) => setSpan(e.target.value as "day" | "week")}>
          <option value="week">A week</option>
          <option value="day">A day (applied to every day)</option>
        </SelectField>
      </div>
      {entries.map((e, i) => (
        <fieldset key={i} className="admin-form admin-entry">
          <legend>Hours {i + 1}</legend>
          {span === "week" && (
            <SelectField label="Day" value={e.dayOffset} onChange={(ev) => setEntry(i, { dayOffset: ev.target.value })} error={err[`entries.${i}.dayOffset`]}>
              {WEEKDAYS.map((d, k) => <option key={d} value={k}>{d}</option>)}
            </SelectField>
          )}
          <TextField label="From" type="time" value={e.startTime} onChange={(ev) => setEntry(i, { startTime: ev.target.value })} error={err[`entries.${i}.startTime`]} />
          <TextField label="Until" type="time" value={e.endTime} onChange={(ev) => setEntry(i, { endTime: ev.target.value })} error={err[`entries.${i}.endTime`]} />
          <TextField label="Slot minutes" type="number" min={5} max={480} value={e.slotMinutes} onChange={(ev) => setEntry(i, { slotMinutes: ev.target.value })} error={err[`entries.${i}.slotMinutes`]} />
          {entries.length > 1 && (
            <button type="button" className="button button-quiet" onClick={() => setEntries((all) => all.filter((_, k) => k !== i))}>Remove hours {i + 1}</button>
          )}
        </fieldset>
      ))}
      <div className="admin-buttons">
        <button type="button" className="button button-quiet" onClick={() => setEntries((all) => [...all, NEW_ENTRY])}>Add hours</button>
        <button type="submit" className="button" disabled={save.busy}>{save.busy ? "Saving…" : "Save template"}</button>
      </div>
    </form>
  );
}

function ApplyTemplate({ templates, doctors }: { templates: ScheduleTemplateView[]; doctors: Parameters<typeof DoctorSelect>[0]["doctors"] }) {
  const [templateId, setTemplateId] = useState("");
  const [doctorId, setDoctorId] = useState("");
  const [from, setFrom] = useState(dayFromToday(1));
  const [to, setTo] = useState(dayFromToday(14));
  const template = templates.find((t) => t.id === templateId) ?? null;
  const flow = useDryRun(JSON.stringify([templateId, doctorId, from, to]), (dryRun) =>
    api(`/templates/${templateId}/apply`, { method: "POST", body: { doctorId, from, to, dryRun }, schema: applyTemplateReplySchema }),
  );
  const err = { ...flow.previewing.fieldErrors, ...flow.applying.fieldErrors };
  return (
    <section className="panel" aria-labelledby="tpl-apply">
      <h2 id="tpl-apply">Apply a template</h2>
      <form onSubmit={flow.previewing.onSubmit()} noValidate>
        <div className="admin-form">
          <SelectField label="Template" value={templateId} onChange={(e) => setTemplateId(e.target.value)} error={err.templateId}>
            <option value="">Choose a template</option>
            {templates.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
          </SelectField>
          <DoctorSelect doctors={doctors} value={doctorId} onChange={setDoctorId} error={err.doctorId} />
          <TextField label="First day" type="date" value={from} onChange={(e) => setFrom(e.target.value)} error={err.from} />
          <TextField label="Last day" type="date" value={to} onChange={(e) => setTo(e.target.value)} error={err.to} />
        </div>
        <DryRunControls flow={flow} what="template"
          done={(r) => <p>Applied: {r.rules.length} rule(s), {r.materialisation.created} slot(s) created.</p>}>
          {(r) => (
            <>
              <p data-testid="template-preview"><strong>{r.materialisation.created}</strong> slot(s) would be created by {r.rules.length} rule(s):</p>
              <ul className="admin-list">
                {r.rules.map((rule, i) => (
                  <li key={i}>
                    {rule.recurrence.freq === "weekly" ? rule.recurrence.weekdays.map((d) => WEEKDAYS[d - 1]).join(", ") : "Every day"}{" "}
                    {rule.startTime}–{rule.endTime}, {rule.slotMinutes}-minute slots, {rule.validFrom} to {rule.validUntil ?? "open"}
                  </li>
                ))}
              </ul>
              {r.materialisation.conflicts.length > 0 && (
                <p className="form-error">{r.materialisation.conflicts.length} existing held, booked or blocked slot(s) would be left in place.</p>
              )}
              {template && <p className="field-hint">Template “{template.name}”. Clashes with existing slots stop the preview with an error instead.</p>}
            </>
          )}
        </DryRunControls>
      </form>
    </section>
  );
}
