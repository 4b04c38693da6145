/**
 * /account/profile (patients): the details clinics see — name, date of birth, contact phone and
 * email (GET/PATCH /patients/me). Only changed fields are sent; a cleared phone or date is null.
 */
import { useId, useState } from "react";
import { patientSchema, userSchema, type PatientView } from "@clinic/shared";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import { sessionStore, type Session } from "../../lib/session";
import { useLoad } from "../../lib/useLoad";
import { AccountNav } from "./AccountNav";

export function Profile({ session }: { session: Session }) {
  const profile = useLoad(["patient-profile"], (signal) => api("/patients/me", { schema: patientSchema, signal }));
  return (
    <>
      <h1 className="account-title">Account</h1>
      <AccountNav session={session} />
      <Async state={profile.state} retry={() => void profile.reload()}>
        {(data) => <ProfileForm initial={data} onSaved={profile.setData} />}
      </Async>
    </>
  );
}

const today = () => new Date().toISOString().slice(0, 10);

function ProfileForm({ initial, onSaved }: { initial: PatientView; onSaved: (next: PatientView) => void }) {
  const id = useId();
  const [fullName, setFullName] = useState(initial.fullName);
  const [dateOfBirth, setDateOfBirth] = useState(initial.dateOfBirth ?? "");
  const [phone, setPhone] = useState(initial.phone ?? "");
  const [email, setEmail] = useState(initial.email ?? "");
  const [saved, setSaved] = useState(false);

  const save = useSubmit(async () => {
    setSaved(false);
    const orNull = (value: string) => (value.trim() === "" ? null : value.trim());
    const wanted = { fullName: fullName.trim(), dateOfBirth: orNull(dateOfBirth), phone: orNull(phone), email: orNull(email) };
    const body = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => value !== initial[key as keyof typeof wanted]));
    const next = Object.keys(body).length === 0 ? initial : await api("/patients/me", { method: "PATCH", body, schema: patientSchema });
    setSaved(true);
    onSaved(next);
    // The date of birth completes the profile: keep the session's onboarding flags current.
    if ("dateOfBirth" in body) sessionStore.setUser(await api("/me", { schema: userSchema }));
  });
  const errors = save.fieldErrors;

  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Your details</h2>
      <p>Your clinic sees these details when you book. {initial.dateOfBirth ? "" : "Add your date of birth to complete your profile."}</p>
      <form onSubmit={save.onSubmit()} noValidate className="account-form">
        <FormError message={save.formError} />
        <TextField label="Full name" autoComplete="name" value={fullName} onChange={(e) => setFullName(e.target.value)} error={errors.fullName} />
        <TextField label="Date of birth" type="date" max={today()} value={dateOfBirth} onChange={(e) => setDateOfBirth(e.target.value)}
          error={errors.dateOfBirth} />
        <TextField label="Mobile phone" type="tel" autoComplete="tel" value={phone} onChange={(e) => setPhone(e.target.value)}
          error={errors.phone} hint="With the country code, e.g. +447700900123. Used for text-message reminders." />
        <TextField label="Contact email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)}
          error={errors.email} hint="Where reminders go; your sign-in email does not change." />
        <button type="submit" className="button" disabled={save.busy}>{save.busy ? "Saving…" : "Save details"}</button>
        <p role="status" className="account-note">{saved ? "Details saved." : ""}</p>
      </form>
    </section>
  );
}
