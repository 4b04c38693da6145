/**
 * Staff of a clinic (clinic admins: list, add by account id, remove; the doctors' contracts — employment
 * type and weekly hours cap) and doctors awaiting approval
 * (platform admins only: the API lets only them approve or reject).
 */
import { useState } from "react";
import {
  clinicMemberListSchema,
  clinicMemberSchema,
  doctorDocumentListSchema,
  doctorListSchema,
  doctorSchema,
  weeklyHoursSchema,
  type ClinicMember,
  type ClinicSummary,
  type DoctorSummary,
  type DoctorView,
  type EmploymentType,
} from "@clinic/shared";
import { useClinicDoctors } from "../../components/Doctors";
import { DocumentLink, DOCUMENT_KIND_NAMES, formatBytes } from "../../components/DoctorDocuments";
import { FormError, SelectField, TextField, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import type { Session } from "../../lib/session";
import { useLoad } from "../../lib/useLoad";
import { AdminFrame } from "./AdminFrame";
import { askToConfirm } from "../../components/Confirm";

const ROLE_NAMES = { receptionist: "Receptionist", clinic_admin: "Clinic admin" } as const;

export function Staff({ session }: { session: Session }) {
  if (session.user.role === "platform_admin") {
    return (
      <>
        <section className="panel"><h1>Staff and doctor approval</h1><p className="field-hint">Clinic staff are managed by each clinic's admins.</p></section>
        <DoctorApprovals />
      </>
    );
  }
  return (
    <AdminFrame session={session} title="Staff">
      {(clinic) => (
        <>
          <Members clinic={clinic} self={session.user.id} />
          <Contracts clinic={clinic} />
        </>
      )}
    </AdminFrame>
  );
}

function Members({ clinic, self }: { clinic: ClinicSummary; self: string }) {
  const members = useLoad(["clinic-members", clinic.id], async (signal) => (await api(`/clinics/${clinic.id}/members`, { schema: clinicMemberListSchema, signal })).items);
  const [userId, setUserId] = useState("");
  const [role, setRole] = useState<ClinicMember["role"]>("receptionist");
  const [notice, setNotice] = useState("");
  const add = useSubmit(async () => {
    const member = await api(`/clinics/${clinic.id}/members`, { method: "POST", body: { userId: userId.trim(), role }, schema: clinicMemberSchema });
    setUserId("");
    setNotice(`${member.displayName} is now ${ROLE_NAMES[member.role].toLowerCase()} here.`);
    await members.reload();
  });
  const remove = useSubmit(async (member: ClinicMember) => {
    if (!(await askToConfirm(`Remove ${member.displayName} as ${ROLE_NAMES[member.role].toLowerCase()}?`, "Remove"))) return;
    await api(`/clinics/${clinic.id}/members/${member.id}`, { method: "DELETE" });
    setNotice(`${member.displayName} removed.`);
    await members.reload();
  });
  return (
    <section className="panel" aria-labelledby="members">
      <h2 id="members">Clinic staff</h2>
      <p role="status" className="admin-notice">{notice}</p>
      <FormError message={remove.formError} />
      <Async state={members.state} retry={() => void members.reload()} isEmpty={(items) => items.length === 0} empty="No staff yet.">
        {(items) => (
          <ul className="admin-list" data-testid="members">
            {items.map((m) => (
              <li key={m.id} className="admin-row">
                <span><strong>{m.displayName}</strong> · {ROLE_NAMES[m.role]}{m.email ? ` · ${m.email}` : ""}</span>
                {m.userId !== self && (
                  <button type="button" className="button button-quiet" onClick={() => void remove.run(m)} aria-label={`Remove ${m.displayName}`}>Remove</button>
                )}
              </li>
            ))}
          </ul>
        )}
      </Async>
      <form onSubmit={add.onSubmit()} noValidate className="admin-subform" aria-labelledby="member-new">
        <h3 id="member-new">Add a member</h3>
        <FormError message={add.formError} />
        <div className="admin-form">
          <TextField label="Account id" value={userId} onChange={(e) => setUserId(e.target.value)} error={add.fieldErrors.userId} className="mono"
            hint="The person's account id (from their profile). The account must already have this role." />
          <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as ClinicMember["role"])} error={add.fieldErrors.role}>
            <option value="receptionist">Receptionist</option>
            <option value="clinic_admin">Clinic admin</option>
          </SelectField>
        </div>
        <button type="submit" className="button" disabled={add.busy}>{add.busy ? "Adding…" : "Add member"}</button>
      </form>
    </section>
  );
}

const EMPLOYMENT_NAMES = { full_time: "Full-time", part_time: "Part-time", locum: "Locum" } as const;

/** The clinic's doctors with their contract: employment type and weekly hours cap, set here (the doctor cannot). */
function Contracts({ clinic }: { clinic: ClinicSummary }) {
  const doctors = useClinicDoctors(clinic.id);
  return (
    <section className="panel" aria-labelledby="contracts">
      <h2 id="contracts">Doctors' contracts</h2>
      <p className="field-hint">
        A part-time doctor's rules may not give more hours in any week than the cap (at every clinic they work at); a locum has
        single-day availability only. A change their current rules already break is refused.
      </p>
      <Async state={doctors.state} retry={() => void doctors.reload()} isEmpty={(items) => items.length === 0} empty="No doctors work here yet.">
        {(items) => (
          <ul className="admin-list" data-testid="contracts">
            {items.map((doctor) => <ContractRow key={doctor.id} clinicId={clinic.id} doctor={doctor} />)}
          </ul>
        )}
      </Async>
    </section>
  );
}

function ContractRow({ clinicId, doctor }: { clinicId: string; doctor: DoctorSummary }) {
  const contract = useLoad(["doctor-contract-at", clinicId, doctor.id], (signal) => api(`/clinics/${clinicId}/doctors/${doctor.id}/contract`, { schema: weeklyHoursSchema, signal }));
  const [draft, setDraft] = useState<{ type: EmploymentType; cap: string } | null>(null);
  const [notice, setNotice] = useState("");
  const current = contract.state.data;
  const shown = draft ?? (current ? { type: current.employmentType, cap: current.maxHoursPerWeek === null ? "" : String(current.maxHoursPerWeek) } : null);
  const save = useSubmit(async () => {
    if (!shown) return;
    const body = { employmentType: shown.type, maxHoursPerWeek: shown.type === "locum" || shown.cap.trim() === "" ? null : Number(shown.cap) };
    const saved = await api(`/clinics/${clinicId}/doctors/${doctor.id}/contract`, { method: "PUT", body, schema: weeklyHoursSchema });
    contract.setData(saved);
    setDraft(null);
    setNotice(`${doctor.displayName}: ${EMPLOYMENT_NAMES[saved.employmentType].toLowerCase()}${saved.maxHoursPerWeek !== null ? `, at most ${saved.maxHoursPerWeek} h a week` : ""}.`);
  });
  const busiest = current?.weeks.reduce((max, week) => Math.max(max, week.hours), 0) ?? 0;
  return (
    <li className="admin-approval" data-testid={`contract-${doctor.id}`}>
      <p>
        <strong>{doctor.displayName}</strong>
        {current && (busiest > 0 ? ` · their rules give up to ${busiest} h a week` : " · no availability rules yet")}
      </p>
      {shown && (
        <form onSubmit={save.onSubmit()} noValidate aria-label={`Contract of ${doctor.displayName}`}>
          <FormError message={save.formError} />
          <div className="admin-form">
            <SelectField label="Employment" value={shown.type} onChange={(e) => setDraft({ ...shown, type: e.target.value as EmploymentType })} error={save.fieldErrors.employmentType}>
              <option value="full_time">Full-time</option>
              <option value="part_time">Part-time</option>
              <option value="locum">Locum</option>
            </SelectField>
            {shown.type !== "locum" && (
              <TextField label="Most hours a week" type="number" min={1} max={80} value={shown.cap} onChange={(e) => setDraft({ ...shown, cap: e.target.value })}
                error={save.fieldErrors.maxHoursPerWeek} hint={shown.type === "part_time" ? "Required for part-time." : "Optional."} />
            )}
          </div>
          <button type="submit" className="button" disabled={save.busy || !draft}>{save.busy ? "Saving…" : "Save contract"}</button>
          <p role="status" className="admin-notice">{notice}</p>
        </form>
      )}
    </li>
  );
}

/**
 * One doctor awaiting approval: their registration, the documents they uploaded (opened here before
 * deciding), a note, and Approve — offered only with credentials and at least one document, as the
 * server requires — or Reject.
 */
function PendingDoctor({ doctor, note, onNote, busy, onDecide }: {
  doctor: DoctorView;
  note: string;
  onNote(note: string): void;
  busy: boolean;
  onDecide(verdict: "approve" | "reject"): void;
}) {
  const documents = useLoad(["doctor-documents", doctor.id], async (signal) => (await api(`/doctors/${doctor.id}/documents`, { schema: doctorDocumentListSchema, signal })).items);
  const creds = doctor.approval?.credentials;
  const items = documents.state.data ?? [];
  const approvable = Boolean(creds) && items.length > 0;
  return (
    <li className="admin-approval">
      <p><strong>{doctor.displayName}</strong> · {doctor.clinics.map((c) => c.name).join(", ") || "no clinic yet"}</p>
      <p>{creds ? `${creds.registrationBody} ${creds.registrationNumber}${creds.qualifications.length ? ` · ${creds.qualifications.join(", ")}` : ""}` : "No credentials submitted yet (approval needs them)."}</p>
      <Async state={documents.state} retry={() => void documents.reload()} isEmpty={(list) => list.length === 0} empty="No documents uploaded yet (approval needs them).">
        {(list) => (
          <ul className="admin-documents" aria-label={`Documents of ${doctor.displayName}`}>
            {list.map((document) => (
              <li key={document.id}><DocumentLink document={document} /> <span className="field-hint">{DOCUMENT_KIND_NAMES[document.kind]} · {formatBytes(document.sizeBytes)}</span></li>
            ))}
          </ul>
        )}
      </Async>
      <TextField label={`Note for ${doctor.displayName}`} value={note} onChange={(e) => onNote(e.target.value)} hint="Required to reject; shown to the doctor." />
      <div className="admin-buttons">
        {approvable && (
          <button type="button" className="button" disabled={busy} onClick={() => onDecide("approve")}>Approve<span className="visually-hidden"> {doctor.displayName}</span></button>
        )}
        <button type="button" className="button button-quiet" disabled={busy} onClick={() => onDecide("reject")}>Reject<span className="visually-hidden"> {doctor.displayName}</span></button>
      </div>
    </li>
  );
}

function DoctorApprovals() {
  const pending = useLoad(["doctor-approvals"], async (signal) => (await api(`/doctor-approvals?status=pending`, { schema: doctorListSchema, signal })).items);
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState("");
  const decide = useSubmit(async (doctor: DoctorView, verdict: "approve" | "reject") => {
    const note = notes[doctor.id]?.trim() ?? "";
    if (verdict === "reject" && !note) throw new Error(`Write a note for ${doctor.displayName}: a rejection says why.`);
    await api(`/doctors/${doctor.id}/${verdict}`, { method: "POST", body: note ? { note } : {}, schema: doctorSchema });
    setNotice(`${doctor.displayName} ${verdict === "approve" ? "approved: now listed and bookable" : "rejected"}.`);
    await pending.reload();
  });
  return (
    <section className="panel" aria-labelledby="approvals">
      <h2 id="approvals">Doctors awaiting approval</h2>
      <p role="status" className="admin-notice">{notice}</p>
      <FormError message={decide.formError} />
      <Async state={pending.state} retry={() => void pending.reload()} isEmpty={(items) => items.length === 0} empty="No doctors are waiting for approval.">
        {(items) => (
          <ul className="admin-list" data-testid="pending-doctors">
            {items.map((d) => (
              <PendingDoctor key={d.id} doctor={d} note={notes[d.id] ?? ""} onNote={(note) => setNotes((n) => ({ ...n, [d.id]: note }))}
                busy={decide.busy} onDecide={(verdict) => void decide.run(d, verdict)} />
            ))}
          </ul>
        )}
      </Async>
    </section>
  );
}
