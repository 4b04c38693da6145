/**
 * Clinic admin: the clinic's services. Create, edit (same form, filled in) and deactivate; the
 * server's field errors (name taken, duration not a multiple of 5, bad colour) land on their fields.
 */
import { useState } from "react";
import { clinicServiceListSchema, clinicServiceSchema, type ClinicServiceView, type ClinicSummary } from "@clinic/shared";
import { FormError, SelectField, TextField, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import { formatMoney } from "../../lib/format";
import type { Session } from "../../lib/session";
import { useLoad } from "../../lib/useLoad";
import { AdminFrame } from "./AdminFrame";
import { askToConfirm } from "../../components/Confirm";

interface Draft { name: string; durationMinutes: string; colour: string; price: string; currency: string; paymentRequired: boolean }
const EMPTY: Draft = { name: "", durationMinutes: "15", colour: "#0b3d5c", price: "0.00", currency: "GBP", paymentRequired: false };

function draftOf(service: ClinicServiceView): Draft {
  return {
    name: service.name,
    durationMinutes: String(service.durationMinutes),
    colour: service.colour,
    price: (service.priceMinor / 100).toFixed(2),
    currency: service.currency,
    paymentRequired: service.paymentRequired,
  };
}

/** The body the API takes; numbers the server validates (a blank becomes NaN → a field error). */
function bodyOf(draft: Draft) {
  return {
    name: draft.name,
    durationMinutes: Number(draft.durationMinutes),
    colour: draft.colour,
    priceMinor: Math.round(Number(draft.price) * 100),
    currency: draft.currency,
    paymentRequired: draft.paymentRequired,
  };
}

export function Services({ session }: { session: Session }) {
  return <AdminFrame session={session} title="Services">{(clinic) => <ServiceList clinic={clinic} />}</AdminFrame>;
}

function ServiceList({ clinic }: { clinic: ClinicSummary }) {
  // GET lists active services only; deactivated ones stop being offered.
  const list = useLoad(["clinic-services", clinic.id], async (signal) => (await api(`/clinics/${clinic.id}/services`, { schema: clinicServiceListSchema, signal })).items);
  const [editing, setEditing] = useState<ClinicServiceView | null>(null);
  const [notice, setNotice] = useState("");
  const remove = useSubmit(async (service: ClinicServiceView) => {
    if (!(await askToConfirm(`Stop offering "${service.name}"? Existing slots keep it.`, "Stop offering"))) return;
    await api(`/clinics/${clinic.id}/services/${service.id}`, { method: "DELETE" });
    setNotice(`${service.name} deactivated.`);
    await list.reload();
  });

  return (
    <>
      <ServiceForm key={editing?.id ?? "new"} clinicId={clinic.id} editing={editing}
        onDone={async (message) => { setEditing(null); setNotice(message); await list.reload(); }} onCancel={() => setEditing(null)} />
      <section className="panel" aria-labelledby="services-list">
        <h2 id="services-list">Services offered</h2>
        <p role="status" className="admin-notice">{notice}</p>
        <FormError message={remove.formError} />
        <Async state={list.state} retry={() => void list.reload()} isEmpty={(items) => items.length === 0} empty="No services yet.">
          {(items) => (
            <div className="admin-table-wrap">
              <table className="admin-table" data-testid="services">
                <thead><tr><th scope="col">Name</th><th scope="col">Length</th><th scope="col">Price</th><th scope="col">Payment</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
                <tbody>
                  {items.map((s) => (
                    <tr key={s.id}>
                      <th scope="row"><span className="swatch" style={{ background: s.colour }} aria-hidden="true" /> {s.name}</th>
                      <td>{s.durationMinutes} min</td>
                      <td>{formatMoney(s.priceMinor, s.currency)}</td>
                      <td>{s.paymentRequired ? "Pay when booking" : "Pay at clinic"}</td>
                      <td className="admin-actions">
                        <button type="button" className="button button-quiet" onClick={() => setEditing(s)} aria-label={`Edit ${s.name}`}>Edit</button>
                        <button type="button" className="button button-quiet" onClick={() => void remove.run(s)} aria-label={`Deactivate ${s.name}`}>Deactivate</button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Async>
      </section>
    </>
  );
}

function ServiceForm({ clinicId, editing, onDone, onCancel }: {
  clinicId: string;
  editing: ClinicServiceView | null;
  onDone(message: string): Promise<void>;
  onCancel(): void;
}) {
  const [draft, setDraft] = useState<Draft>(editing ? draftOf(editing) : EMPTY);
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const save = useSubmit(async () => {
    const saved = editing
      ? await api(`/clinics/${clinicId}/services/${editing.id}`, { method: "PATCH", body: bodyOf(draft), schema: clinicServiceSchema })
      : await api(`/clinics/${clinicId}/services`, { method: "POST", body: bodyOf(draft), schema: clinicServiceSchema });
    if (!editing) setDraft(EMPTY);
    await onDone(editing ? `${saved.name} saved.` : `${saved.name} added.`);
  });
  const errors = save.fieldErrors;
  return (
    <section className="panel" aria-labelledby="service-form">
      <h2 id="service-form">{editing ? `Edit ${editing.name}` : "Add a service"}</h2>
      <form onSubmit={save.onSubmit()} noValidate className="admin-form">
        <FormError message={save.formError} />
        <TextField label="Service name" value={draft.name} onChange={(e) => set({ name: e.target.value })} error={errors.name} />
        <TextField label="Length (minutes)" type="number" min={5} max={480} step={5} value={draft.durationMinutes}
          onChange={(e) => set({ durationMinutes: e.target.value })} error={errors.durationMinutes} hint="5 to 480, in steps of 5" />
        <TextField label="Colour" type="color" value={draft.colour} onChange={(e) => set({ colour: e.target.value })} error={errors.colour} />
        <TextField label="Price" type="number" min={0} step="0.01" value={draft.price} onChange={(e) => set({ price: e.target.value })} error={errors.priceMinor} />
        <TextField label="Currency" value={draft.currency} maxLength={3} onChange={(e) => set({ currency: e.target.value.toUpperCase() })} error={errors.currency} />
        <SelectField label="Payment" value={draft.paymentRequired ? "yes" : "no"} onChange={(e) => set({ paymentRequired: e.target.value === "yes" })} error={errors.paymentRequired}>
          <option value="no">Pay at the clinic</option>
          <option value="yes">Pay online when booking</option>
        </SelectField>
        <div className="admin-buttons">
          <button type="submit" className="button" disabled={save.busy}>{save.busy ? "Saving…" : editing ? "Save changes" : "Add service"}</button>
          {editing && <button type="button" className="button button-quiet" onClick={onCancel}>Cancel</button>}
        </div>
      </form>
    </section>
  );
}
