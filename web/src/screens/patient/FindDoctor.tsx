/**
 * Find a doctor: filters (name, specialty, clinic, language, minimum rating, available within) kept
 * in the address so Back returns to the same results; each result shows its earliest free slot.
 */
import { useId, useState, type FormEvent } from "react";
import { doctorPageSchema, slotSearchPageSchema, specialtyListSchema, type DoctorSummary, type SlotSearchItem } from "@clinic/shared";
import { SelectField, TextField } from "../../components/Field";
import { Async } from "../../components/States";
import { api } from "../../lib/api";
import { formatDateTime } from "../../lib/format";
import { Link, navigate, useSearchParams } from "../../lib/router";
import { useLoad } from "../../lib/useLoad";
import { loadClinics } from "../../lib/directory";
import { zoneOf } from "./common";

const DAY_MS = 86_400_000;
const FILTERS = ["q", "specialty", "clinicId", "language", "minRating", "within", "sort"] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/** The first free slot of a doctor in the next 92 days (the search's longest window). */
async function earliestSlot(doctorId: string, signal: AbortSignal): Promise<SlotSearchItem | null> {
  const query = new URLSearchParams({ doctorId, to: new Date(Date.now() + 92 * DAY_MS).toISOString(), limit: "1" });
  return (await api(`/slots?${query}`, { schema: slotSearchPageSchema, signal })).items[0] ?? null;
}

interface Result {
  doctor: DoctorSummary;
  earliest: SlotSearchItem | null;
}

async function search(filters: Filters, cursor: string | null, signal: AbortSignal) {
  const query = new URLSearchParams({ limit: "20" });
  for (const key of ["q", "specialty", "clinicId", "language", "minRating"] as const) if (filters[key]) query.set(key, filters[key]);
  if (filters.sort === "rating") query.set("sort", "rating");
  if (cursor) query.set("cursor", cursor);
  const page = await api(`/doctors?${query}`, { schema: doctorPageSchema, signal });
  const results: Result[] = await Promise.all(page.items.map(async (doctor) => ({ doctor, earliest: await earliestSlot(doctor.id, signal) })));
  // "Available within N days" filters on the earliest free slot; results come soonest first unless
  // the patient asked for the best rated (the server's order).
  const limit = filters.within ? Date.now() + Number(filters.within) * DAY_MS : Infinity;
  const shown = results
    .filter((r) => (filters.within ? r.earliest !== null && Date.parse(r.earliest.start) < limit : true))
    .sort((a, b) => (filters.sort === "rating" ? 0 : (a.earliest ? Date.parse(a.earliest.start) : Infinity) - (b.earliest ? Date.parse(b.earliest.start) : Infinity)));
  return { results: shown, nextCursor: page.nextCursor };
}

export function FindDoctor() {
  const id = useId();
  const params = useSearchParams();
  const applied = Object.fromEntries(FILTERS.map((key) => [key, params.get(key) ?? ""])) as Filters;
  const [draft, setDraft] = useState<Filters>(applied);
  const appliedKey = JSON.stringify(applied);
  const [cursor, setCursor] = useState<string | null>(null);

  const options = useLoad(["search-options"], async (signal) => {
    const [specialties, clinics] = await Promise.all([api("/specialties", { schema: specialtyListSchema, signal }), loadClinics()]);
    return { specialties: specialties.items, clinics };
  });
  const results = useLoad(["doctor-search", appliedKey, cursor], (signal) => search(applied, cursor, signal));

  const set = (key: keyof Filters) => (event: { target: { value: string } }) => setDraft({ ...draft, [key]: event.target.value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const query = new URLSearchParams(Object.entries(draft).filter(([, value]) => value));
    setCursor(null);
    navigate(`/patient/doctors${query.size ? `?${query}` : ""}`, { replace: true });
  };
  const clinics = new Map((options.state.data?.clinics ?? []).map((clinic) => [clinic.id, clinic]));

  return (
    <>
      <section className="panel" aria-labelledby={`${id}-find`}>
        <h1 id={`${id}-find`}>Find a doctor</h1>
        <form className="search-form" onSubmit={submit} role="search">
          <TextField label="Doctor's name" value={draft.q} onChange={set("q")} />
          <SelectField label="Specialty" value={draft.specialty} onChange={set("specialty")}>
            <option value="">Any specialty</option>
            {options.state.data?.specialties.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
          </SelectField>
          <SelectField label="Clinic" value={draft.clinicId} onChange={set("clinicId")}>
            <option value="">Any clinic</option>
            {options.state.data?.clinics.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </SelectField>
          <TextField label="Language" value={draft.language} onChange={set("language")} hint="For example en, hi or bn" />
          <SelectField label="Rating" value={draft.minRating} onChange={set("minRating")}>
            <option value="">Any rating</option>
            <option value="3">3 stars or more</option>
            <option value="4">4 stars or more</option>
            <option value="4.5">4.5 stars or more</option>
          </SelectField>
          <SelectField label="Available within" value={draft.within} onChange={set("within")}>
            <option value="">Any time</option>
            <option value="1">24 hours</option>
            <option value="7">7 days</option>
            <option value="14">14 days</option>
            <option value="30">30 days</option>
          </SelectField>
          <SelectField label="Sort by" value={draft.sort} onChange={set("sort")}>
            <option value="">Soonest available</option>
            <option value="rating">Highest rated</option>
          </SelectField>
          <button type="submit" className="button">Search</button>
        </form>
      </section>
      <section className="panel" aria-labelledby={`${id}-results`} aria-busy={results.state.kind === "loading"}>
        <h2 id={`${id}-results`}>Doctors</h2>
        <Async state={results.state} retry={() => void results.reload()} isEmpty={(page) => page.results.length === 0}
          empty="No doctor matches these filters. Try fewer filters.">
          {(page) => (
            <>
              <ul className="doctor-list" data-testid="doctor-results">
                {page.results.map(({ doctor, earliest }) => (
                  <li key={doctor.id} className="doctor-card">
                    <h3><Link to={`/patient/doctors/${doctor.id}`}>{doctor.displayName}</Link></h3>
                    <p>{doctor.specialties.map((s) => s.name).join(", ") || "General practice"}</p>
                    <p>{doctor.clinics.map((c) => c.name).join(" · ")}</p>
                    {doctor.languages.length > 0 && <p>Speaks {doctor.languages.join(", ")}</p>}
                    <p>{doctor.ratingCount > 0 ? `★ ${doctor.ratingAverage.toFixed(1)} (${doctor.ratingCount} ratings)` : "No ratings yet"}</p>
                    <p className="earliest">
                      {earliest
                        ? <>Earliest free: <strong>{formatDateTime(earliest.start, zoneOf(clinics, earliest.clinicId))}</strong></>
                        : "No free time in the next 3 months"}
                    </p>
                    <Link className="button" to={`/patient/doctors/${doctor.id}`}>
                      {/* The name is in the link's text (hidden) so speech users can say what they see; the space is a
                          no-break one because the button lays its text out as flex items, which drop plain spaces ("Seeweek"). */}
                      See{"\u00a0"}<span className="visually-hidden">{doctor.displayName}'s </span>week
                    </Link>
                  </li>
                ))}
              </ul>
              {page.nextCursor && (
                <button type="button" className="button button-quiet" onClick={() => setCursor(page.nextCursor)}>Next page</button>
              )}
            </>
          )}
        </Async>
      </section>
    </>
  );
}
