/** The clinic's settings (PATCH /clinics/:clinicId {settings}): the whole object is sent, as the API expects. */
import { useState } from "react";
import { clinicSchema, type ClinicSettings, type ClinicSummary } from "@clinic/shared";
import { FormError, SelectField, TextField, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import { useLoad } from "../../lib/useLoad";

type NumberKey = { [K in keyof ClinicSettings]: ClinicSettings[K] extends number ? K : never }[keyof ClinicSettings];
type FlagKey = { [K in keyof ClinicSettings]: ClinicSettings[K] extends boolean ? K : never }[keyof ClinicSettings];

const NUMBERS: { key: NumberKey; label: string; hint: string }[] = [
  { key: "checkInWindowMinutes", label: "Check-in opens (minutes before)", hint: "How early a patient may check themself in." },
  { key: "noShowGraceMinutes", label: "No-show grace (minutes)", hint: "After a visit's end, before a missing patient counts as a probable no-show." },
  { key: "walkInInterleave", label: "Walk-in interleave", hint: "A waiting walk-in goes first after this many appointment patients (0: only when none wait)." },
  { key: "patientCancelCutoffHours", label: "Online cancel cutoff (hours)", hint: "Patients cannot cancel online closer to the visit than this." },
  { key: "etaSlipNotifyMinutes", label: "Tell patients when their time moves by (minutes)", hint: "" },
  { key: "alertCancellationsPerHour", label: "Alert admins above this many cancellations per doctor per hour", hint: "" },
  { key: "loyaltyPointsPerVisit", label: "Loyalty points per visit", hint: "" },
  { key: "loyaltyPointsPerFreeBooking", label: "Loyalty points for a free booking", hint: "What a patient spends to book free (0: redemption off)." },
  { key: "fullRefundHours", label: "Full refund when cancelled this many hours ahead", hint: "Paid bookings cancelled earlier are refunded in full." },
  { key: "lateCancelRefundPercent", label: "Refund for a later cancel (%)", hint: "0: no refund." },
];
const FLAGS: { key: FlagKey; label: string; yes: string; no: string }[] = [
  { key: "autoMarkNoShow", label: "Probable no-shows", yes: "Mark them no-show automatically", no: "Flag them for staff" },
  { key: "blockRepeatedNoShows", label: "Repeated no-shows (3 of the last 5)", yes: "Block online booking", no: "Allow online booking" },
];

export function ClinicSettingsForm({ clinic }: { clinic: ClinicSummary }) {
  const loaded = useLoad(["clinic-settings", clinic.id], async (signal) => (await api(`/clinics/${clinic.id}`, { schema: clinicSchema, signal })).settings);
  return (
    <section className="panel" aria-labelledby="settings">
      <h2 id="settings">Clinic settings</h2>
      <Async state={loaded.state} retry={() => void loaded.reload()}>
        {(settings) => <SettingsFields clinicId={clinic.id} settings={settings} onSaved={loaded.setData} />}
      </Async>
    </section>
  );
}

function SettingsFields({ clinicId, settings, onSaved }: { clinicId: string; settings: ClinicSettings; onSaved(s: ClinicSettings): void }) {
  const [draft, setDraft] = useState<Record<string, string | boolean>>(() =>
    Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, typeof v === "boolean" ? v : String(v)])),
  );
  const [notice, setNotice] = useState("");
  const save = useSubmit(async () => {
    const next = Object.fromEntries(Object.entries(draft).map(([k, v]) => [k, typeof v === "boolean" ? v : Number(v === "" ? NaN : v)]));
    const saved = await api(`/clinics/${clinicId}`, { method: "PATCH", body: { settings: next }, schema: clinicSchema });
    onSaved(saved.settings);
    setNotice("Settings saved.");
  });
  return (
    <form onSubmit={save.onSubmit()} noValidate>
      <FormError message={save.formError} />
      <p role="status" className="admin-notice">{notice}</p>
      <div className="admin-form">
        {NUMBERS.map(({ key, label, hint }) => (
          <TextField key={key} label={label} type="number" min={0} value={String(draft[key] ?? "")} hint={hint || undefined}
            onChange={(e) => setDraft((d) => ({ ...d, [key]: e.target.value }))} error={save.fieldErrors[`settings.${key}`]} />
        ))}
        {FLAGS.map(({ key, label, yes, no }) => (
          <SelectField key={key} label={label} value={draft[key] ? "yes" : "no"} onChange={(e) => setDraft((d) => ({ ...d, [key]: e.target.value === "yes" }))}>
            <option value="no">{no}</option>
            <option value="yes">{yes}</option>
          </SelectField>
        ))}
      </div>
      <button type="submit" className="button" disabled={save.busy}>{save.busy ? "Saving…" : "Save settings"}</button>
    </form>
  );
}
