/**
 * /account/notifications: which channels reminders and updates use, quiet hours, and (for patients)
 * the language of messages. GET/PUT /me/notification-preferences; the language is the patient
 * profile's preferredLanguage (PATCH /patients/me), so other roles see it read-only.
 */
import { useId, useState } from "react";
import { notificationPreferencesSchema, patientSchema, type NotificationPreferencesView } from "@clinic/shared";
import { Checkbox } from "../../components/Checkbox";
import { FormError, SelectField, TextField, useSubmit } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import type { Session } from "../../lib/session";
import { useLoad } from "../../lib/useLoad";
import { AccountNav } from "./AccountNav";

/** The languages messages are written in (server/src/modules/notifications/templates.ts). */
export const MESSAGE_LANGUAGES: Record<string, string> = { en: "English", bn: "Bengali (বাংলা)" };

export function Preferences({ session }: { session: Session }) {
  const prefs = useLoad(["notification-preferences"], (signal) => api("/me/notification-preferences", { schema: notificationPreferencesSchema, signal }));
  return (
    <>
      <h1 className="account-title">Account</h1>
      <AccountNav session={session} />
      <Async state={prefs.state} retry={() => void prefs.reload()}>
        {(data) => <PreferencesForm initial={data} isPatient={session.user.role === "patient"} onSaved={prefs.setData} />}
      </Async>
    </>
  );
}

function PreferencesForm({ initial, isPatient, onSaved }: {
  initial: NotificationPreferencesView;
  isPatient: boolean;
  onSaved: (next: NotificationPreferencesView) => void;
}) {
  const id = useId();
  const [channels, setChannels] = useState({ email: initial.email, sms: initial.sms, push: initial.push });
  const [quiet, setQuiet] = useState(initial.quietHours !== null);
  const [start, setStart] = useState(initial.quietHours?.start ?? "21:00");
  const [end, setEnd] = useState(initial.quietHours?.end ?? "08:00");
  const [language, setLanguage] = useState(initial.language);
  const [saved, setSaved] = useState(false);

  const save = useSubmit(async () => {
    setSaved(false);
    if (isPatient && language !== initial.language) {
      await api("/patients/me", { method: "PATCH", body: { preferredLanguage: language }, schema: patientSchema });
    }
    const body = { ...channels, quietHours: quiet ? { start, end } : null };
    const next = await api("/me/notification-preferences", { method: "PUT", body, schema: notificationPreferencesSchema });
    setSaved(true);
    onSaved(next);
  });
  const errors = save.fieldErrors;
  const languages = { ...MESSAGE_LANGUAGES, ...(MESSAGE_LANGUAGES[initial.language] ? {} : { [initial.language]: initial.language }) };
  const toggle = (channel: keyof typeof channels) => (on: boolean) => setChannels((now) => ({ ...now, [channel]: on }));

  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Notifications</h2>
      <form onSubmit={save.onSubmit()} noValidate className="account-form">
        <FormError message={save.formError} />
        <fieldset className="account-fieldset">
          <legend>Send me reminders and updates by</legend>
          <Checkbox label="In the app" checked disabled hint="Always on: your inbox." onChange={() => undefined} />
          <Checkbox label="Email" checked={channels.email} onChange={toggle("email")} error={errors.email} />
          <Checkbox label="Text message (SMS)" checked={channels.sms} onChange={toggle("sms")} error={errors.sms} />
          <Checkbox label="Push notification" checked={channels.push} onChange={toggle("push")} error={errors.push} />
          <p className="field-hint">Verification and password codes are always sent, whatever you choose here.</p>
        </fieldset>
        <fieldset className="account-fieldset">
          <legend>Quiet hours</legend>
          <Checkbox label="Hold reminders back during quiet hours" checked={quiet} onChange={setQuiet} />
          {quiet && (
            <div className="account-row">
              <TextField label="From" type="time" value={start} onChange={(e) => setStart(e.target.value)}
                error={errors["quietHours.start"] ?? errors.quietHours} />
              <TextField label="Until" type="time" value={end} onChange={(e) => setEnd(e.target.value)} error={errors["quietHours.end"]} />
            </div>
          )}
          <p className="field-hint">In the time of the clinic you booked with; the window may run past midnight (21:00 until 08:00).</p>
        </fieldset>
        {isPatient ? (
          <SelectField label="Language of messages" value={language} onChange={(e) => setLanguage(e.target.value)} error={errors.preferredLanguage}>
            {Object.entries(languages).map(([code, name]) => <option key={code} value={code}>{name}</option>)}
          </SelectField>
        ) : (
          <p>Messages are written in <strong>{languages[initial.language] ?? initial.language}</strong>.</p>
        )}
        <button type="submit" className="button" disabled={save.busy}>{save.busy ? "Saving…" : "Save preferences"}</button>
        <p role="status" className="account-note">{saved ? "Preferences saved." : ""}</p>
      </form>
    </section>
  );
}
