/**
 * Handing a doctor's appointments in a date range to a colleague at the clinic (docs/handover.md):
 * the preview lists each visit with what would happen to it (a free slot of the colleague at that
 * time, overbooked, or it stays and why); "Hand over" applies it with a reason and shows the result.
 * The doctor's own screen fixes the giving doctor; the clinic admin's picks them.
 */
import { useId, useState } from "react";
import {
  handoverPreviewSchema,
  handoverReplySchema,
  localDateOf,
  type ClinicSummary,
  type DoctorSummary,
  type HandoverItem,
  type HandoverPreview,
} from "@clinic/shared";
import { api } from "../lib/api";
import { formatDate, formatTime } from "../lib/format";
import { DoctorSelect, useClinicDoctors } from "./Doctors";
import { FormError, TextField, useSubmit } from "./Field";

const OUTCOME = { free: "Moves: free then", overbook: "Moves: overbooked", stays: "Stays" } as const;

export function Handover({ clinic, fromDoctorId }: { clinic: ClinicSummary; /** The giving doctor when fixed (their own screen). */ fromDoctorId?: string }) {
  const id = useId();
  const tz = clinic.timeZone;
  const today = localDateOf(new Date(), tz);
  const doctors = useClinicDoctors(clinic.id);
  const [form, setForm] = useState({ fromDoctorId: fromDoctorId ?? "", toDoctorId: "", fromDate: today, toDate: today, reason: "" });
  const [preview, setPreview] = useState<{ key: string; result: HandoverPreview } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const set = (field: keyof typeof form, value: string) => {
    setForm((f) => ({ ...f, [field]: value }));
    setDone(null);
  };
  const range = { fromDoctorId: form.fromDoctorId, toDoctorId: form.toDoctorId, fromDate: form.fromDate, toDate: form.toDate };
  const key = JSON.stringify(range);
  const current = preview?.key === key ? preview.result : null;
  const nameOf = (doctorId: string) => doctors.state.data?.find((d) => d.id === doctorId)?.displayName ?? "the colleague";

  const check = useSubmit(async () => {
    const result = await api(`/clinics/${clinic.id}/handovers/preview`, { method: "POST", body: range, schema: handoverPreviewSchema });
    setPreview({ key, result });
  });
  const apply = useSubmit(async () => {
    const reply = await api(`/clinics/${clinic.id}/handovers`, { method: "POST", body: { ...range, reason: form.reason }, schema: handoverReplySchema });
    setPreview({ key, result: reply });
    setForm((f) => ({ ...f, reason: "" }));
    setDone(
      reply.moved === 0
        ? "Nothing was handed over: every appointment stays (see why below)."
        : `${reply.moved} appointment${reply.moved === 1 ? "" : "s"} handed to ${nameOf(reply.toDoctorId)}; the patients are told.${reply.stayed ? ` ${reply.stayed} stay${reply.stayed === 1 ? "s" : ""}.` : ""}`,
    );
  });
  const errors = { ...check.fieldErrors, ...apply.fieldErrors };
  const colleagues: DoctorSummary[] | undefined = doctors.state.data?.filter((d) => d.id !== form.fromDoctorId);
  const movable = current?.items.filter((item) => item.outcome !== "stays").length ?? 0;

  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Hand appointments over</h2>
      <p className="field-hint">
        Each confirmed appointment moves to the colleague's free slot at the same time, or is overbooked where the clinic allows it. Patients are told their new doctor;
        times are in {tz}.
      </p>
      <form onSubmit={check.onSubmit()} noValidate>
        <FormError message={apply.formError ?? check.formError} />
        <div className="handover-grid">
          {fromDoctorId === undefined && (
            <DoctorSelect label="From" doctors={doctors.state.data} value={form.fromDoctorId} onChange={(v) => set("fromDoctorId", v)} error={errors.fromDoctorId} />
          )}
          <DoctorSelect label="To" doctors={colleagues} value={form.toDoctorId} onChange={(v) => set("toDoctorId", v)} error={errors.toDoctorId} blank={colleagues ? "Choose a colleague" : undefined} />
          <TextField label="From day" type="date" value={form.fromDate} onChange={(e) => set("fromDate", e.target.value)} error={errors.fromDate} />
          <TextField label="Until day" type="date" value={form.toDate} onChange={(e) => set("toDate", e.target.value)} error={errors.toDate} />
        </div>
        <button type="submit" className="button" disabled={check.busy}>{check.busy ? "Checking…" : "Preview"}</button>
      </form>
      <div role="status">{done && <p className="handover-done">{done}</p>}</div>
      {current && (
        <>
          <HandoverList items={current.items} tz={tz} />
          {!done && movable > 0 && (
            <form onSubmit={apply.onSubmit()} noValidate className="handover-apply">
              <TextField label="Reason (the patients see it)" value={form.reason} onChange={(e) => set("reason", e.target.value)} error={errors.reason} required />
              <button type="submit" className="button" disabled={apply.busy}>
                {apply.busy ? "Handing over…" : `Hand over ${movable} appointment${movable === 1 ? "" : "s"}`}
              </button>
            </form>
          )}
        </>
      )}
    </section>
  );
}

function HandoverList({ items, tz }: { items: HandoverItem[]; tz: string }) {
  if (items.length === 0) return <p>No appointments in these days.</p>;
  return (
    <ul className="handover-list" data-testid="handover-items">
      {items.map((item) => (
        <li key={item.appointmentId} className={`handover-${item.outcome}`}>
          <span className="handover-when">
            {formatDate(item.start, tz)}
            <br />
            {formatTime(item.start, tz)}–{formatTime(item.end, tz)}
          </span>
          <span className="handover-who">
            <strong>{item.patientName}</strong>
            {item.serviceName && ` · ${item.serviceName}`}
            {item.note && <span className="handover-note">{item.note}</span>}
          </span>
          <span className="handover-outcome">{OUTCOME[item.outcome]}</span>
        </li>
      ))}
    </ul>
  );
}
