/**
 * /doctor/credentials: what approval needs from a doctor who registered themselves (docs/web-doctor.md)
 * — the registration body and number, qualifications, and the documents that show them (PDF, PNG or
 * JPEG, at most 5 MiB each) — with where the approval stands. A platform admin reads the documents
 * before approving; once approved they stay as they were.
 */
import { useId, useState } from "react";
import {
  DOCTOR_DOCUMENT_MAX_BYTES,
  doctorDocumentKinds,
  doctorDocumentListSchema,
  doctorDocumentSchema,
  doctorDocumentTypes,
  doctorSchema,
  type DoctorDocumentKind,
  type DoctorDocumentView,
  type DoctorView,
} from "@clinic/shared";
import { FormError, SelectField, TextField, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import type { Session } from "../../lib/session";
import { useLoad } from "../../lib/useLoad";
import { DocumentLink, DOCUMENT_KIND_NAMES, formatBytes } from "../../components/DoctorDocuments";
import { askToConfirm } from "../../components/Confirm";

export function Credentials({ session }: { session: Session }) {
  const doctorId = session.user.doctorId;
  if (!doctorId) return <section className="panel"><h1>Credentials</h1><p>This account has no doctor profile.</p></section>;
  return <CredentialsOf doctorId={doctorId} />;
}

function CredentialsOf({ doctorId }: { doctorId: string }) {
  const id = useId();
  const doctor = useLoad(["doctor", doctorId], (signal) => api(`/doctors/${doctorId}`, { schema: doctorSchema, signal }));
  return (
    <>
      <section className="panel" aria-labelledby={`${id}-h`}>
        <h1 id={`${id}-h`}>Credentials</h1>
        <Async state={doctor.state} retry={() => void doctor.reload()}>{(view) => <ApprovalStatus doctor={view} />}</Async>
      </section>
      {doctor.state.data && <CredentialsForm doctor={doctor.state.data} onSaved={(view) => doctor.setData(view)} />}
      {doctor.state.data && <Documents doctorId={doctorId} locked={doctor.state.data.approval?.status === "approved"} />}
    </>
  );
}

function ApprovalStatus({ doctor }: { doctor: DoctorView }) {
  const approval = doctor.approval;
  if (!approval) return null;
  if (approval.status === "approved") return <p className="doctor-status doctor-status-ok" data-testid="approval">Approved: patients can find and book you.</p>;
  if (approval.status === "rejected") {
    return <p className="doctor-status doctor-status-bad" data-testid="approval">Not approved{approval.note ? `: ${approval.note}` : ""}. Correct your details or documents and submit again.</p>;
  }
  return (
    <p className="doctor-status" data-testid="approval">
      Waiting for approval. A platform admin checks your registration against the documents below; approval needs both.
    </p>
  );
}

function CredentialsForm({ doctor, onSaved }: { doctor: DoctorView; onSaved(view: DoctorView): void }) {
  const given = doctor.approval?.credentials;
  const [body, setBody] = useState(given?.registrationBody ?? "");
  const [number, setNumber] = useState(given?.registrationNumber ?? "");
  const [qualifications, setQualifications] = useState((given?.qualifications ?? []).join(", "));
  const [notice, setNotice] = useState("");
  const save = useSubmit(async () => {
    const payload = {
      registrationBody: body.trim(),
      registrationNumber: number.trim(),
      qualifications: qualifications.split(",").map((q) => q.trim()).filter(Boolean),
    };
    onSaved(await api(`/doctors/${doctor.id}/credentials`, { method: "POST", body: payload, schema: doctorSchema }));
    setNotice("Registration details saved.");
  });
  return (
    <section className="panel" aria-labelledby="credentials-form">
      <h2 id="credentials-form">Registration</h2>
      <form onSubmit={save.onSubmit()} noValidate>
        <FormError message={save.formError} />
        <div className="doctor-form-grid">
          <TextField label="Registration body" value={body} onChange={(e) => setBody(e.target.value)} error={save.fieldErrors.registrationBody}
            hint="Such as the General Medical Council or the BMDC." />
          <TextField label="Registration number" value={number} onChange={(e) => setNumber(e.target.value)} error={save.fieldErrors.registrationNumber} />
        </div>
        <TextField label="Qualifications (optional)" value={qualifications} onChange={(e) => setQualifications(e.target.value)}
          error={save.fieldErrors["qualifications.0"] ?? save.fieldErrors.qualifications} hint="Separated by commas: MBBS, MRCGP" />
        <button type="submit" className="button" disabled={save.busy}>{save.busy ? "Saving…" : "Save registration"}</button>
        <p role="status" className="doctor-muted">{notice}</p>
      </form>
    </section>
  );
}

function Documents({ doctorId, locked }: { doctorId: string; locked: boolean }) {
  const documents = useLoad(["doctor-documents", doctorId], async (signal) => (await api(`/doctors/${doctorId}/documents`, { schema: doctorDocumentListSchema, signal })).items);
  const [kind, setKind] = useState<DoctorDocumentKind>("registration");
  const [file, setFile] = useState<File | null>(null);
  // A new key empties the file input after an upload.
  const [picker, setPicker] = useState(0);
  const [notice, setNotice] = useState("");
  const upload = useSubmit(async () => {
    if (!file) throw new Error("Choose a file first.");
    if (!(doctorDocumentTypes as readonly string[]).includes(file.type)) throw new Error(`${file.name} is not a PDF, PNG or JPEG file.`);
    if (file.size > DOCTOR_DOCUMENT_MAX_BYTES) throw new Error(`${file.name} is ${formatBytes(file.size)}: at most ${formatBytes(DOCTOR_DOCUMENT_MAX_BYTES)}.`);
    const query = new URLSearchParams({ kind, name: file.name });
    const uploaded = await api(`/doctors/${doctorId}/documents?${query}`, { method: "POST", body: file, contentType: file.type, schema: doctorDocumentSchema });
    setNotice(`${uploaded.fileName} uploaded.`);
    setFile(null);
    setPicker((n) => n + 1);
    await documents.reload();
  });
  const remove = useSubmit(async (document: DoctorDocumentView) => {
    if (!(await askToConfirm(`Remove ${document.fileName}?`, "Remove"))) return;
    await api(`/doctor-documents/${document.id}`, { method: "DELETE" });
    setNotice(`${document.fileName} removed.`);
    await documents.reload();
  });
  return (
    <section className="panel" aria-labelledby="documents">
      <h2 id="documents">Documents</h2>
      <p role="status" className="doctor-muted">{notice}</p>
      <FormError message={remove.formError} />
      <Async state={documents.state} retry={() => void documents.reload()} isEmpty={(items) => items.length === 0}
        empty="No documents yet: upload your registration certificate.">
        {(items) => (
          <ul className="doctor-list" data-testid="documents">
            {items.map((document) => (
              <li key={document.id}>
                <span className="doctor-grow">
                  <DocumentLink document={document} />
                  <br />
                  <span className="doctor-muted">{DOCUMENT_KIND_NAMES[document.kind]} · {formatBytes(document.sizeBytes)}</span>
                </span>
                {!locked && (
                  <button type="button" className="button button-quiet" onClick={() => void remove.run(document)} aria-label={`Remove ${document.fileName}`}>Remove</button>
                )}
              </li>
            ))}
          </ul>
        )}
      </Async>
      {locked ? (
        <p className="doctor-muted">You are approved: your documents stay as they were approved.</p>
      ) : (
        <form onSubmit={upload.onSubmit()} noValidate aria-labelledby="documents-upload" className="doctor-upload">
          <h3 id="documents-upload">Upload a document</h3>
          <FormError message={upload.formError} />
          <div className="doctor-form-grid">
            <SelectField label="What it is" value={kind} onChange={(e) => setKind(e.target.value as DoctorDocumentKind)} error={upload.fieldErrors.kind}>
              {doctorDocumentKinds.map((k) => <option key={k} value={k}>{DOCUMENT_KIND_NAMES[k]}</option>)}
            </SelectField>
            <TextField key={picker} label="File" type="file" accept=".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)} error={upload.fieldErrors.body ?? upload.fieldErrors.name}
              hint="PDF, PNG or JPEG, at most 5 MB." />
          </div>
          <button type="submit" className="button" disabled={upload.busy || !file}>{upload.busy ? "Uploading…" : "Upload"}</button>
        </form>
      )}
    </section>
  );
}
