/** The desk's patient: found among the clinic's patients by name or phone, or a new quick record (walk-ins, phone-in bookings). */
import { useEffect, useState } from "react";
import { ComboBox, Input, Label, ListBox, ListBoxItem, Popover } from "react-aria-components";
import { countryOfPhone, formatPhone, patientLookupReplySchema, toE164, type ClinicSummary, type PatientLookupItem } from "@clinic/shared";
import { api } from "../../lib/api";

/**
 * The search is a combobox (react-aria-components: arrow keys through the matches, Enter chooses,
 * the matches announced as a list box); the matches are the server's, not filtered again here.
 */
export function PatientSearch({ clinicId, chosen, onChoose }: { clinicId: string; chosen: PatientLookupItem | null; onChoose(p: PatientLookupItem | null): void }) {
  const [q, setQ] = useState(chosen?.fullName ?? "");
  const [results, setResults] = useState<PatientLookupItem[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const text = q.trim();
    if (text.length < 2) return void setResults([]);
    const controller = new AbortController();
    // A short pause after typing, so each keystroke does not ask the server.
    const timer = setTimeout(() => {
      api(`/clinics/${clinicId}/queue/patients?q=${encodeURIComponent(text)}`, { schema: patientLookupReplySchema, signal: controller.signal })
        .then((reply) => {
          setResults(reply.items);
          setError(null);
        })
        .catch((e: unknown) => {
          if (!controller.signal.aborted) setError(e instanceof Error ? e.message : "Search failed.");
        });
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [clinicId, q]);

  return (
    <div className="field">
      <ComboBox
        className="rc-combo"
        items={results}
        inputValue={q}
        onInputChange={setQ}
        selectedKey={chosen?.id ?? null}
        onSelectionChange={(key) => onChoose(results.find((p) => p.id === key) ?? null)}
        menuTrigger="input"
        allowsEmptyCollection={q.trim().length >= 2}
      >
        <Label>Find patient (name or phone)</Label>
        <Input className="rc-combo-input" autoComplete="off" />
        <Popover className="rc-combo-popover" placement="bottom start">
          <ListBox className="rc-combo-list" renderEmptyState={() => <p className="rc-combo-empty">No patient of this clinic matches.</p>}>
            {(p: PatientLookupItem) => (
              <ListBoxItem id={p.id} textValue={p.fullName} className="rc-combo-option">
                {p.fullName} <span className="mono">{p.phone ? formatPhone(p.phone) : "no phone"}</span>
              </ListBoxItem>
            )}
          </ListBox>
        </Popover>
      </ComboBox>
      {chosen && <p className="field-hint" role="status">Chosen: {chosen.fullName}{chosen.phone ? `, ${formatPhone(chosen.phone)}` : ""}</p>}
      {error && <p className="form-error" role="alert">{error}</p>}
    </div>
  );
}

/** What the server will store for the number typed: as the clinic's desk reads it (its own number's country). */
export function phoneHintFor(typed: string, clinic: ClinicSummary): string {
  const country = countryOfPhone(clinic.phone);
  const e164 = typed.trim() ? toE164(typed, country) : null;
  if (e164) return `Saved as ${formatPhone(e164)}`;
  return country ? "As the patient says it, or with its country code (+…)" : "With its country code, starting with +";
}
