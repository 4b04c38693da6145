/**
 * Create or edit an availability rule. "Preview" asks the server what the rule would produce
 * (POST …/availability-rules/preview: slot count, the first slots, pieces left out for time off,
 * clashes); "Save" is offered only for the exact rule previewed, and not while slots clash.
 */
import { useState } from "react";
import {
  availabilityPreviewSchema,
  availabilityRuleWriteReplySchema,
  type AvailabilityPreview,
  type AvailabilityRuleView,
  type ClinicSummary,
  type MaterialisationReport,
  type WeeklyHours,
} from "@clinic/shared";
import { FormError, SelectField, TextField, useSubmit } from "../../components/Field";
import { api } from "../../lib/api";
import { formatDateTime } from "../../lib/format";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

interface Draft {
  freq: "weekly" | "daily";
  interval: string;
  weekdays: number[];
  validFrom: string;
  validUntil: string;
  startTime: string;
  endTime: string;
  slotMinutes: string;
  bufferMinutes: string;
  kind: "regular" | "walk_in" | "emergency";
  breakStart: string;
  breakEnd: string;
  note: string;
}

function draftOf(rule: AvailabilityRuleView | null, today: string): Draft {
  return {
    freq: rule?.recurrence.freq ?? "weekly",
    interval: String(rule?.recurrence.interval ?? 1),
    weekdays: rule?.recurrence.weekdays ?? [1, 2, 3, 4, 5],
    validFrom: rule?.validFrom ?? today,
    validUntil: rule?.validUntil ?? "",
    startTime: rule?.startTime ?? "09:00",
    endTime: rule?.endTime ?? "13:00",
    slotMinutes: String(rule?.slotMinutes ?? 30),
    bufferMinutes: String(rule?.bufferMinutes ?? 0),
    kind: rule?.kind ?? "regular",
    breakStart: rule?.breaks[0]?.start ?? "",
    breakEnd: rule?.breaks[0]?.end ?? "",
    note: rule?.note ?? "",
  };
}

/** The rule fields as the API takes them (strings stay strings so the server names a bad one). */
function ruleBody(d: Draft) {
  return {
    kind: d.kind,
    recurrence: { freq: d.freq, interval: Number(d.interval), weekdays: d.freq === "weekly" ? d.weekdays : [] },
    validFrom: d.validFrom,
    validUntil: d.validUntil || null,
    startTime: d.startTime,
    endTime: d.endTime,
    breaks: d.breakStart || d.breakEnd ? [{ start: d.breakStart, end: d.breakEnd }] : [],
    slotMinutes: Number(d.slotMinutes),
    bufferMinutes: Number(d.bufferMinutes),
    note: d.note.trim() || null,
  };
}

const BLOCKING = new Set(["slot", "elastic_block"]);

export function RuleForm({ doctorId, clinic, rule, today, onSaved, onCancel }: {
  doctorId: string;
  clinic: ClinicSummary;
  rule: AvailabilityRuleView | null;
  today: string;
  onSaved(report: MaterialisationReport): void;
  onCancel(): void;
}) {
  const [draft, setDraft] = useState(() => draftOf(rule, today));
  const [preview, setPreview] = useState<{ key: string; result: AvailabilityPreview } | null>(null);
  const body = ruleBody(draft);
  const key = JSON.stringify(body);
  const current = preview?.key === key ? preview.result : null;
  const overCap = current ? weeksOverCap(current.weeklyHours).length > 0 : false;
  const blocked = (current?.conflicts.some((c) => BLOCKING.has(c.type)) ?? false) || overCap;
  const tz = clinic.timeZone;

  const set = <K extends keyof Draft>(field: K, value: Draft[K]) => setDraft((d) => ({ ...d, [field]: value }));
  const askPreview = useSubmit(async () => {
    const result = await api(`/doctors/${doctorId}/availability-rules/preview`, {
      method: "POST",
      body: { clinicId: clinic.id, ...body, ...(rule ? { ruleId: rule.id } : {}) },
      schema: availabilityPreviewSchema,
    });
    setPreview({ key, result });
  });
  const save = useSubmit(async () => {
    const reply = rule
      ? await api(`/availability-rules/${rule.id}`, { method: "PATCH", body, schema: availabilityRuleWriteReplySchema })
      : await api(`/doctors/${doctorId}/availability-rules`, { method: "POST", body: { clinicId: clinic.id, ...body }, schema: availabilityRuleWriteReplySchema });
    onSaved(reply.materialisation);
  });
  const errors = { ...askPreview.fieldErrors, ...save.fieldErrors };

  return (
    <form onSubmit={askPreview.onSubmit()} noValidate aria-label={rule ? "Edit rule" : "New rule"}>
      <h3>{rule ? "Edit rule" : "New rule"}</h3>
      <FormError message={save.formError ?? askPreview.formError} />
      <div className="doctor-form-grid">
        <SelectField label="Repeats" value={draft.freq} onChange={(e) => set("freq", e.target.value as Draft["freq"])} error={errors["recurrence.freq"]}>
          <option value="weekly">Weekly</option>
          <option value="daily">Daily</option>
        </SelectField>
        <TextField label={draft.freq === "weekly" ? "Every … weeks" : "Every … days"} type="number" min={1} max={52} value={draft.interval}
          onChange={(e) => set("interval", e.target.value)} error={errors["recurrence.interval"]} />
        <SelectField label="Kind" value={draft.kind} onChange={(e) => set("kind", e.target.value as Draft["kind"])} error={errors.kind}>
          <option value="regular">Bookable appointments</option>
          <option value="walk_in">Walk-in capacity</option>
          <option value="emergency">Emergency capacity</option>
        </SelectField>
      </div>
      {draft.freq === "weekly" && (
        <fieldset className="doctor-weekdays" aria-describedby={errors["recurrence.weekdays"] ? "weekdays-error" : undefined}>
          <legend>Days</legend>
          {WEEKDAYS.map((label, index) => (
            <label key={label}>
              <input type="checkbox" checked={draft.weekdays.includes(index + 1)}
                onChange={(e) => set("weekdays", e.target.checked ? [...draft.weekdays, index + 1].sort() : draft.weekdays.filter((d) => d !== index + 1))} />
              {label}
            </label>
          ))}
          {errors["recurrence.weekdays"] && <p className="field-error" id="weekdays-error">{errors["recurrence.weekdays"]}</p>}
        </fieldset>
      )}
      <div className="doctor-form-grid">
        <TextField label="From day" type="date" value={draft.validFrom} onChange={(e) => set("validFrom", e.target.value)} error={errors.validFrom} />
        <TextField label="Until day (optional)" type="date" value={draft.validUntil} onChange={(e) => set("validUntil", e.target.value)} error={errors.validUntil} />
        <TextField label="Starts at" type="time" value={draft.startTime} onChange={(e) => set("startTime", e.target.value)} error={errors.startTime} />
        <TextField label="Ends at" type="time" value={draft.endTime} onChange={(e) => set("endTime", e.target.value)} error={errors.endTime} />
        <TextField label="Slot length (minutes)" type="number" min={5} max={480} value={draft.slotMinutes} onChange={(e) => set("slotMinutes", e.target.value)} error={errors.slotMinutes} />
        <TextField label="Gap between slots (minutes)" type="number" min={0} max={120} value={draft.bufferMinutes} onChange={(e) => set("bufferMinutes", e.target.value)} error={errors.bufferMinutes} />
        <TextField label="Break from (optional)" type="time" value={draft.breakStart} onChange={(e) => set("breakStart", e.target.value)} error={errors["breaks.0.start"]} />
        <TextField label="Break until" type="time" value={draft.breakEnd} onChange={(e) => set("breakEnd", e.target.value)} error={errors["breaks.0.end"]} />
      </div>
      <TextField label="Note (optional)" value={draft.note} onChange={(e) => set("note", e.target.value)} error={errors.note} />
      <div className="doctor-button-row">
        <button type="submit" className="button" disabled={askPreview.busy}>{askPreview.busy ? "Previewing…" : "Preview"}</button>
        <button type="button" className="button" disabled={!current || blocked || save.busy} onClick={() => void save.run()}>
          {save.busy ? "Saving…" : rule ? "Save changes" : "Save rule"}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>Cancel</button>
      </div>
      {!current && <p className="field-hint">Preview the rule to see its slots before saving.</p>}
      <div role="status">{current && <PreviewReport preview={current} tz={tz} blocked={blocked} />}</div>
    </form>
  );
}

function PreviewReport({ preview, tz, blocked }: { preview: AvailabilityPreview; tz: string; blocked: boolean }) {
  return (
    <section className={`doctor-preview${preview.conflicts.length ? " doctor-preview-warning" : ""}`} aria-label="Preview" data-testid="rule-preview">
      <h3>Preview: {preview.slots.count} slot{preview.slots.count === 1 ? "" : "s"}</h3>
      {preview.slots.first.length > 0 && (
        <p>First: {preview.slots.first.slice(0, 3).map((s) => formatDateTime(s.start, tz)).join("; ")}{preview.slots.count > 3 ? " …" : ""}</p>
      )}
      {preview.skipped.length > 0 && <p>{preview.skipped.length} slot{preview.skipped.length === 1 ? "" : "s"} left out for time off or closures.</p>}
      {preview.conflicts.length > 0 && (
        <>
          <p><strong>Clashes ({preview.conflicts.length}):</strong></p>
          <ul>
            {preview.conflicts.slice(0, 10).map((c, index) => (
              <li key={index}>
                {c.type === "slot" ? `A ${c.status ?? ""} slot` : c.type === "elastic_block" ? "An elastic block" : (c.kind ?? c.type).replace("_", " ")}
                {c.clinicName ? ` at ${c.clinicName}` : ""}, {formatDateTime(c.start, tz)}{c.reason ? ` (${c.reason})` : ""}
              </li>
            ))}
          </ul>
          {preview.conflicts.some((c) => BLOCKING.has(c.type)) && <p>Saving is not possible while the rule overlaps other slots: change the hours or days.</p>}
        </>
      )}
      <WeeklyHoursReport hours={preview.weeklyHours} />
      {blocked && weeksOverCap(preview.weeklyHours).length > 0 && <p>Saving is not possible over the weekly cap: shorten the hours or days.</p>}
    </section>
  );
}

const weeksOverCap = (hours: WeeklyHours) => (hours.maxHoursPerWeek === null ? [] : hours.weeks.filter((week) => week.hours > hours.maxHoursPerWeek!));

/** The hours every rule of the doctor would give each week with this one saved, against the contract's cap. */
function WeeklyHoursReport({ hours }: { hours: WeeklyHours }) {
  const cap = hours.maxHoursPerWeek;
  const shown = hours.weeks.filter((week) => week.hours > 0).slice(0, 6);
  if (shown.length === 0) return null;
  return (
    <div className="doctor-weekly-hours" data-testid="weekly-hours">
      <p>
        <strong>Hours a week with this rule</strong> (every clinic){cap !== null ? `, against ${EMPLOYMENT[hours.employmentType]} cap of ${cap} h` : ""}:
      </p>
      <ul>
        {shown.map((week) => (
          <li key={week.week} className={cap !== null && week.hours > cap ? "over" : undefined}>
            Week of {formatWeek(week.week)}: {formatHours(week.hours)} h{cap !== null ? ` of ${cap}` : ""}
            {cap !== null && week.hours > cap ? " — over the cap" : ""}
          </li>
        ))}
      </ul>
    </div>
  );
}

const EMPLOYMENT: Record<WeeklyHours["employmentType"], string> = { full_time: "the full-time", part_time: "the part-time", locum: "the locum" };
const formatHours = (hours: number) => (Number.isInteger(hours) ? String(hours) : hours.toFixed(1));
const formatWeek = (monday: string) => new Date(`${monday}T12:00:00Z`).toLocaleDateString(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
