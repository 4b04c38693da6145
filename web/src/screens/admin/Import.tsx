/**
 * Clinic admin: import a doctor's slots from CSV or iCalendar. "Check file" is a dry run that reports
 * every bad row (row number, field, message) and what would be imported; "Import" then writes it,
 * all or nothing unless the admin chooses to skip the bad rows. Exports download the schedule.
 */
import { useState, type ChangeEvent } from "react";
import { importResultSchema, type ClinicSummary } from "@clinic/shared";
import { FormError, SelectField, TextArea, useSubmit } from "../../components/Field";
import { api, saveDownload } from "../../lib/api";
import type { Session } from "../../lib/session";
import { Checkbox } from "../../components/Checkbox";
import { DoctorSelect, useClinicDoctors } from "../../components/Doctors";
import { AdminFrame } from "./AdminFrame";
import { SlotSample } from "./BulkSlots";
import { DryRunControls, useDryRun } from "./DryRun";

const EXAMPLE = "date,start,end,kind,service,tags,note\n2026-06-01,09:00,09:15,regular,,,";

export function Import({ session }: { session: Session }) {
  return (
    <AdminFrame session={session} title="Import and export slots" intro="Times in the file are the clinic's local time. Every row is checked before anything is written.">
      {(clinic) => <ImportForm clinic={clinic} />}
    </AdminFrame>
  );
}

function ImportForm({ clinic }: { clinic: ClinicSummary }) {
  const doctors = useClinicDoctors(clinic.id);
  const [doctorId, setDoctorId] = useState("");
  const [format, setFormat] = useState<"csv" | "ics">("csv");
  const [text, setText] = useState("");
  const [fileName, setFileName] = useState("");
  const [skipBadRows, setSkipBadRows] = useState(false);
  const flow = useDryRun(JSON.stringify([doctorId, format, text, skipBadRows]), (dryRun) =>
    api(`/doctors/${doctorId}/slots/import?clinicId=${clinic.id}&format=${format}&dryRun=${dryRun}&skipBadRows=${dryRun || skipBadRows}`, {
      method: "POST",
      body: text,
      contentType: format === "ics" ? "text/calendar" : "text/csv",
      schema: importResultSchema,
    }),
  );

  async function pick(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) return;
    setFileName(file.name);
    if (/\.ics$/i.test(file.name) || file.type === "text/calendar") setFormat("ics");
    else if (/\.csv$/i.test(file.name)) setFormat("csv");
    setText(await file.text());
  }

  return (
    <>
      <section className="panel" aria-labelledby="import">
        <h2 id="import">Import</h2>
        <form onSubmit={doctorId ? flow.previewing.onSubmit() : (e) => { e.preventDefault(); flow.previewing.setFormError("Choose a doctor first."); }} noValidate>
          <div className="admin-form">
            <DoctorSelect doctors={doctors.state.data} value={doctorId} onChange={setDoctorId} />
            <SelectField label="Format" value={format} onChange={(e) => setFormat(e.target.value as "csv" | "ics")}>
              <option value="csv">CSV</option>
              <option value="ics">iCalendar (.ics)</option>
            </SelectField>
            <div className="field">
              <label htmlFor="import-file">File</label>
              <input id="import-file" type="file" accept=".csv,.ics,text/csv,text/calendar" onChange={(e) => void pick(e)} />
              {fileName && <p className="field-hint">{fileName} loaded below.</p>}
            </div>
          </div>
          <TextArea label="Or paste the file" rows={8} value={text} onChange={(e) => setText(e.target.value)} className="mono"
            hint={<>CSV columns: <span className="mono">date,start,end</span> and optionally <span className="mono">kind,service,tags,note</span>. Example: <span className="mono">{EXAMPLE.split("\n")[1]}</span></>} />
          <Checkbox label="Import the good rows and skip the bad ones (otherwise one bad row stops the import)" checked={skipBadRows} onChange={setSkipBadRows} />
          <DryRunControls flow={flow} what="import" canApply={(r) => r.imported > 0 && (r.report.length === 0 || skipBadRows)}
            done={(r) => <p>Imported {r.imported} slot(s){r.report.length ? `; ${r.report.length} row problem(s) skipped` : ""}.</p>}>
            {(r) => (
              <>
                <p data-testid="import-summary">{r.imported} slot(s) would be imported; {r.report.length} problem(s){r.skipped.length ? `; ${r.skipped.length} cancelled event(s) skipped` : ""}.</p>
                {r.report.length > 0 && (
                  <div className="admin-table-wrap">
                    <table className="admin-table" data-testid="import-errors">
                      <caption>Rows with problems{skipBadRows ? " (will be skipped)" : " (fix them, or choose to skip them)"}</caption>
                      <thead><tr><th scope="col">Row</th><th scope="col">Field</th><th scope="col">Problem</th></tr></thead>
                      <tbody>{r.report.map((issue, i) => <tr key={i}><td>{issue.row === 0 ? "File" : issue.row}</td><td className="mono">{issue.field}</td><td>{issue.message}</td></tr>)}</tbody>
                    </table>
                  </div>
                )}
                <SlotSample slots={r.slots} zone={clinic.timeZone} label="Would be imported" />
              </>
            )}
          </DryRunControls>
        </form>
      </section>
      <Export clinic={clinic} doctorId={doctorId} />
    </>
  );
}

function Export({ clinic, doctorId }: { clinic: ClinicSummary; doctorId: string }) {
  const download = useSubmit((kind: "csv" | "ics") => saveDownload(`/doctors/${doctorId}/schedule.${kind}?clinicId=${clinic.id}`, `schedule-${clinic.slug}.${kind}`));
  return (
    <section className="panel" aria-labelledby="export">
      <h2 id="export">Export</h2>
      <p className="field-hint">The chosen doctor's slots here from now to 90 days ahead, with the import's columns (the CSV adds each slot's status).</p>
      <FormError message={download.formError} />
      <div className="admin-buttons">
        <button type="button" className="button button-quiet" disabled={!doctorId || download.busy} onClick={() => void download.run("csv")}>Download CSV</button>
        <button type="button" className="button button-quiet" disabled={!doctorId || download.busy} onClick={() => void download.run("ics")}>Download iCalendar</button>
      </div>
      {!doctorId && <p className="field-hint">Choose a doctor above.</p>}
    </section>
  );
}
