/** Bulk changes to a doctor's free slots (resize, block, delete) and cloning a day or week: dry run first. */
import { useState } from "react";
import { addDays, bulkSlotsResultSchema, cloneSlotsReplySchema, zonedToInstant, type ClinicSummary, type DoctorSummary } from "@clinic/shared";
import { DoctorSelect } from "../../components/Doctors";
import { SelectField, TextField } from "../../components/Field";
import { api } from "../../lib/api";
import { formatDateTime } from "../../lib/format";
import { dayFromToday } from "./AdminFrame";
import { DryRunControls, useDryRun } from "./DryRun";

type Doctors = DoctorSummary[] | undefined;
const SHOWN = 12;

/** A few slots by time, and how many more: enough to check a preview without a wall of rows. */
export function SlotSample({ slots, zone, label }: { slots: { start: string; end: string; status?: string }[]; zone: string; label: string }) {
  if (slots.length === 0) return null;
  return (
    <details open={slots.length <= SHOWN}>
      <summary>{label}: {slots.length}</summary>
      <ul className="admin-list">
        {slots.slice(0, SHOWN).map((s, i) => <li key={i}>{formatDateTime(s.start, zone)}–{formatDateTime(s.end, zone).split(", ").pop()}{s.status ? ` (${s.status})` : ""}</li>)}
        {slots.length > SHOWN && <li>… and {slots.length - SHOWN} more</li>}
      </ul>
    </details>
  );
}

export function BulkSlots({ clinic, doctors }: { clinic: ClinicSummary; doctors: Doctors }) {
  const [doctorId, setDoctorId] = useState("");
  const [from, setFrom] = useState(dayFromToday(1));
  const [to, setTo] = useState(dayFromToday(7));
  const [action, setAction] = useState<"block" | "delete" | "resize">("block");
  const [newMinutes, setNewMinutes] = useState("30");
  const [reason, setReason] = useState("");
  const zone = clinic.timeZone;
  const validDates = /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to);
  // Whole local days of the clinic; a half-typed date sends nothing (the form asks for both).
  const body = {
    clinicId: clinic.id,
    from: validDates ? zonedToInstant(from, "00:00", zone).toISOString() : "",
    to: validDates ? zonedToInstant(addDays(to, 1), "00:00", zone).toISOString() : "",
    action,
    ...(action === "resize" ? { newMinutes: Number(newMinutes) } : {}),
    ...(action === "block" ? { reason } : {}),
  };
  const flow = useDryRun(JSON.stringify([doctorId, body]), (dryRun) =>
    api(`/doctors/${doctorId}/slots/bulk`, { method: "POST", body: { ...body, dryRun }, schema: bulkSlotsResultSchema }),
  );
  const err = { ...flow.previewing.fieldErrors, ...flow.applying.fieldErrors };
  return (
    <section className="panel" aria-labelledby="bulk">
      <h2 id="bulk">Change free slots in bulk</h2>
      <p className="field-hint">Only free slots change; held and booked ones are listed and left alone.</p>
      <form onSubmit={flow.previewing.onSubmit()} noValidate>
        <div className="admin-form">
          <DoctorSelect doctors={doctors} value={doctorId} onChange={setDoctorId} />
          <TextField label="From day" type="date" value={from} onChange={(e) => setFrom(e.target.value)} error={err.from} />
          <TextField label="To day (inclusive)" type="date" value={to} onChange={(e) => setTo(e.target.value)} error={err.to} />
          <SelectField label="Change" value={action} onChange={(e) => setAction(e.target.value as typeof action)}>
            <option value="block">Block them</option>
            <option value="delete">Delete them</option>
            <option value="resize">Resize them</option>
          </SelectField>
          {action === "resize" && <TextField label="New length (minutes)" type="number" min={5} max={480} value={newMinutes} onChange={(e) => setNewMinutes(e.target.value)} error={err.newMinutes} />}
          {action === "block" && <TextField label="Reason" value={reason} onChange={(e) => setReason(e.target.value)} error={err.reason} />}
        </div>
        <DryRunControls flow={flow} what="bulk change"
          canApply={(r) => r.changed.created.length + r.changed.deleted.length + r.changed.blocked.length > 0}
          done={(r) => <p>Done: {r.changed.blocked.length} blocked, {r.changed.deleted.length} removed, {r.changed.created.length} created.</p>}>
          {(r) => (
            <>
              <SlotSample slots={r.changed.blocked} zone={zone} label="Would be blocked" />
              <SlotSample slots={r.changed.deleted} zone={zone} label="Would be removed" />
              <SlotSample slots={r.changed.created} zone={zone} label="Would be created" />
              <SlotSample slots={r.changed.unchangedBecauseTaken} zone={zone} label="Left alone (held, booked or blocked)" />
              {r.changed.blocked.length + r.changed.deleted.length + r.changed.created.length === 0 && <p>Nothing would change.</p>}
            </>
          )}
        </DryRunControls>
      </form>
    </section>
  );
}

export function CloneSlots({ clinic, doctors }: { clinic: ClinicSummary; doctors: Doctors }) {
  const [doctorId, setDoctorId] = useState("");
  const [sourceFrom, setSourceFrom] = useState(dayFromToday(1));
  const [sourceTo, setSourceTo] = useState(dayFromToday(1));
  const [targets, setTargets] = useState(dayFromToday(8));
  const targetStarts = targets.split(/[\s,]+/).filter(Boolean);
  const flow = useDryRun(JSON.stringify([doctorId, sourceFrom, sourceTo, targetStarts]), (dryRun) =>
    api(`/doctors/${doctorId}/slots/clone`, { method: "POST", body: { clinicId: clinic.id, sourceFrom, sourceTo, targetStarts, dryRun }, schema: cloneSlotsReplySchema }),
  );
  const err = { ...flow.previewing.fieldErrors, ...flow.applying.fieldErrors };
  const targetError = Object.entries(err).find(([field]) => field.startsWith("targetStarts"))?.[1];
  return (
    <section className="panel" aria-labelledby="clone">
      <h2 id="clone">Copy a day or week</h2>
      <form onSubmit={flow.previewing.onSubmit()} noValidate>
        <div className="admin-form">
          <DoctorSelect doctors={doctors} value={doctorId} onChange={setDoctorId} />
          <TextField label="Copy from day" type="date" value={sourceFrom} onChange={(e) => setSourceFrom(e.target.value)} error={err.sourceFrom} />
          <TextField label="Copy until day" type="date" value={sourceTo} onChange={(e) => setSourceTo(e.target.value)} error={err.sourceTo} />
          <TextField label="Paste onto (first days, comma-separated)" value={targets} onChange={(e) => setTargets(e.target.value)} error={targetError}
            hint="YYYY-MM-DD, e.g. 2026-05-04, 2026-05-11" />
        </div>
        <DryRunControls flow={flow} what="copy" canApply={(r) => r.created.length > 0}
          done={(r) => <p>Copied {r.created.length} slot(s); {r.skipped.length} skipped.</p>}>
          {(r) => (
            <>
              <SlotSample slots={r.created} zone={clinic.timeZone} label="Would be created" />
              <SlotSample slots={r.skipped.map((s) => ({ ...s, status: s.reason === "past" ? "in the past" : `clashes with ${s.clashWith.length} slot(s)` }))}
                zone={clinic.timeZone} label="Would be skipped" />
              {r.created.length === 0 && <p>Nothing to copy.</p>}
            </>
          )}
        </DryRunControls>
      </form>
    </section>
  );
}
