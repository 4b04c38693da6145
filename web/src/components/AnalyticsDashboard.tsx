/**
 * A clinic's analytics, or one doctor's there (docs/analytics.md): KPI tiles against the previous period of the same
 * length, the bookings trend (recharts, with its data as a table behind it), the doctors side by
 * side, and the weekday × hour occupancy heatmap (a table whose cells are shaded, and say their
 * figure). The clinic admin's screen (all doctors) and the doctor's own (`doctorId`); a range of
 * local days, the last 30 by default.
 */
import { useId, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { addDays, analyticsReplySchema, eventData, heatmapReplySchema, isEventOf, localDateOf, topics, type AnalyticsFigures, type AnalyticsReply, type ClinicSummary, type HeatmapReply } from "@clinic/shared";
import { FormError, TextField, useSubmit } from "./Field";
import { Async } from "./States";
import { api, saveDownload } from "../lib/api";
import { formatMoney } from "../lib/format";
import { queryClient, useLoad } from "../lib/useLoad";
import { useTopic } from "../lib/useTopic";
import { LiveIndicator } from "./LiveIndicator";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const percent = (value: number | null) => (value === null ? "—" : `${(value * 100).toFixed(1)} %`);
const minutes = (value: number | null) => (value === null ? "—" : `${value.toFixed(1)} min`);
const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);

export function AnalyticsDashboard({ clinic, doctorId }: { clinic: ClinicSummary; /** One doctor's figures (their own screen). */ doctorId?: string }) {
  const id = useId();
  const today = localDateOf(new Date(), clinic.timeZone);
  const [range, setRange] = useState({ from: addDays(today, -29), to: today });
  const length = daysBetween(range.from, range.to) + 1;
  const previous = { from: addDays(range.from, -length), to: addDays(range.from, -1) };
  const scope = doctorId ? `&doctorId=${doctorId}` : "";
  const read = (r: { from: string; to: string }) => (signal: AbortSignal) =>
    api(`/clinics/${clinic.id}/analytics?from=${r.from}&to=${r.to}${scope}`, { schema: analyticsReplySchema, signal });
  const current = useLoad(["analytics", clinic.id, doctorId ?? null, range.from, range.to], read(range));
  const before = useLoad(["analytics", clinic.id, doctorId ?? null, previous.from, previous.to], read(previous));
  const heatmap = useLoad(["analytics-heatmap", clinic.id, doctorId ?? null, range.from, range.to], (signal) =>
    api(`/clinics/${clinic.id}/analytics/heatmap?from=${range.from}&to=${range.to}${scope}`, { schema: heatmapReplySchema, signal }),
  );
  const set = (field: "from" | "to", value: string) => value && setRange((r) => ({ ...r, [field]: value }));
  // Live: a committed change on a shown day reads the figures again (docs/analytics.md "Live").
  const live = useTopic<null>(topics.analytics(clinic.id), {
    fromSnapshot: () => null,
    reduce: (state) => state,
    onEvent: (event) => {
      const changed = isEventOf(event, "analytics") ? eventData(event) : null;
      if (changed?.days.some((day) => day >= range.from && day <= range.to)) {
        void queryClient.invalidateQueries({ queryKey: ["analytics", clinic.id] });
        void queryClient.invalidateQueries({ queryKey: ["analytics-heatmap", clinic.id] });
      }
    },
  });
  const download = useSubmit(() => saveDownload(`/clinics/${clinic.id}/analytics.csv?from=${range.from}&to=${range.to}${scope}`, `analytics-${clinic.slug}-${range.from}-to-${range.to}.csv`));

  return (
    <>
      <section className="panel" aria-labelledby={`${id}-range`}>
        <h2 id={`${id}-range`} className="visually-hidden">Days</h2>
        <div className="analytics-live" data-testid="analytics-live"><LiveIndicator status={live.status} detail={live.error} /></div>
        <div className="analytics-range">
          <TextField label="From" type="date" value={range.from} onChange={(e) => set("from", e.target.value)} />
          <TextField label="To" type="date" value={range.to} onChange={(e) => set("to", e.target.value)} />
        </div>
        <p className="field-hint">Days in {clinic.timeZone}; each tile compares with the {length} days before ({previous.from} to {previous.to}).</p>
        <FormError message={download.formError} />
        <button type="button" className="button button-quiet" disabled={download.busy} onClick={() => void download.run()}>Download CSV</button>
      </section>
      <Async state={current.state} retry={() => void current.reload()}>
        {(data) => (
          <>
            <Tiles now={data} before={before.state.data ?? null} />
            <Trend data={data} />
            {!doctorId && <Doctors data={data} />}
          </>
        )}
      </Async>
      <Async state={heatmap.state} retry={() => void heatmap.reload()}>{(data) => <Heatmap data={data} />}</Async>
    </>
  );
}

/** The KPI tiles, each with its change against the previous period. */
function Tiles({ now, before }: { now: AnalyticsFigures; before: AnalyticsFigures | null }) {
  const change = (a: number | null, b: number | null | undefined, asPoints = false) => {
    if (a === null || b === null || b === undefined) return null;
    if (asPoints) return `${(a - b) * 100 >= 0 ? "+" : ""}${((a - b) * 100).toFixed(1)} pts`;
    if (b === 0) return null;
    const ratio = (a - b) / b;
    return `${ratio >= 0 ? "+" : ""}${(ratio * 100).toFixed(0)} %`;
  };
  const tiles: { label: string; value: string; delta: string | null }[] = [
    { label: "Bookings", value: String(now.bookings), delta: change(now.bookings, before?.bookings) },
    { label: "Completed", value: String(now.completed), delta: change(now.completed, before?.completed) },
    { label: "Cancellation rate", value: percent(now.cancellationRate), delta: change(now.cancellationRate, before?.cancellationRate, true) },
    { label: "No-show rate", value: percent(now.noShowRate), delta: change(now.noShowRate, before?.noShowRate, true) },
    { label: "Occupancy", value: percent(now.occupancy), delta: change(now.occupancy, before?.occupancy, true) },
    { label: "Median wait", value: minutes(now.waitMinutes.p50), delta: change(now.waitMinutes.p50, before?.waitMinutes.p50) },
    { label: "Net revenue", value: formatMoney(now.revenue.netMinor, now.revenue.currency), delta: change(now.revenue.netMinor, before?.revenue.netMinor) },
    { label: "Rating", value: now.ratings.average === null ? "—" : `${now.ratings.average.toFixed(2)} (${now.ratings.count})`, delta: null },
  ];
  return (
    <section className="panel" aria-label="Key figures">
      <ul className="analytics-tiles" data-testid="analytics-tiles">
        {tiles.map((tile) => (
          <li key={tile.label} className="analytics-tile">
            <span className="analytics-tile-label">{tile.label}</span>
            <strong className="analytics-tile-value">{tile.value}</strong>
            <span className="analytics-tile-delta">{tile.delta ? `${tile.delta} vs the period before` : "no earlier figure"}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Bookings, completions, cancellations and no-shows per day: a chart, and the same numbers as a table. */
function Trend({ data }: { data: AnalyticsReply }) {
  const id = useId();
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Per day</h2>
      <div className="analytics-chart" aria-hidden="true">
        <ResponsiveContainer width="100%" height={260}>
          <LineChart accessibilityLayer={false} data={data.series} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid stroke="#c9d1d9" strokeDasharray="3 3" />
            <XAxis dataKey="date" tickFormatter={(d: string) => d.slice(5)} />
            <YAxis allowDecimals={false} />
            <Tooltip />
            <Legend />
            <Line isAnimationActive={false} type="linear" dataKey="bookings" name="Bookings" stroke="#0b3d5c" strokeWidth={2} dot={false} />
            <Line isAnimationActive={false} type="linear" dataKey="completed" name="Completed" stroke="#0b5d1e" strokeWidth={2} dot={false} strokeDasharray="6 3" />
            <Line isAnimationActive={false} type="linear" dataKey="cancelled" name="Cancelled" stroke="#8a1116" strokeWidth={2} dot={false} strokeDasharray="2 2" />
            <Line isAnimationActive={false} type="linear" dataKey="noShows" name="No-shows" stroke="#6b4a00" strokeWidth={2} dot={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <details>
        <summary>The numbers behind the chart</summary>
        <div className="admin-table-wrap">
          <table className="admin-table" data-testid="analytics-series">
            <thead><tr><th scope="col">Day</th><th scope="col">Bookings</th><th scope="col">Completed</th><th scope="col">Cancelled</th><th scope="col">No-shows</th><th scope="col">Occupancy</th><th scope="col">Net revenue</th></tr></thead>
            <tbody>
              {data.series.map((day) => (
                <tr key={day.date}>
                  <th scope="row">{day.date}</th><td>{day.bookings}</td><td>{day.completed}</td><td>{day.cancelled}</td><td>{day.noShows}</td>
                  <td>{percent(day.occupancy)}</td><td>{formatMoney(day.netMinor, data.revenue.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
}

/** The doctors side by side: a bar chart of bookings and no-shows, and every figure in a table. */
function Doctors({ data }: { data: AnalyticsReply }) {
  const id = useId();
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Doctors</h2>
      <div className="analytics-chart" aria-hidden="true">
        <ResponsiveContainer width="100%" height={Math.max(160, data.perDoctor.length * 48)}>
          <BarChart accessibilityLayer={false} data={data.perDoctor} layout="vertical" margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            <CartesianGrid stroke="#c9d1d9" strokeDasharray="3 3" />
            <XAxis type="number" allowDecimals={false} />
            <YAxis type="category" dataKey="doctorName" width={140} />
            <Tooltip />
            <Legend />
            <Bar isAnimationActive={false} dataKey="completed" name="Completed" fill="#0b5d1e" />
            <Bar isAnimationActive={false} dataKey="cancelled" name="Cancelled" fill="#8a1116" />
            <Bar isAnimationActive={false} dataKey="noShows" name="No-shows" fill="#6b4a00" />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <div className="admin-table-wrap">
        <table className="admin-table" data-testid="analytics-doctors">
          <thead>
            <tr><th scope="col">Doctor</th><th scope="col">Bookings</th><th scope="col">Completed</th><th scope="col">Cancellation rate</th><th scope="col">No-show rate</th><th scope="col">Occupancy</th><th scope="col">Median consultation</th><th scope="col">Net revenue</th></tr>
          </thead>
          <tbody>
            {data.perDoctor.map((d) => (
              <tr key={d.doctorId}>
                <th scope="row">{d.doctorName}</th><td>{d.bookings}</td><td>{d.completed}</td><td>{percent(d.cancellationRate)}</td><td>{percent(d.noShowRate)}</td>
                <td>{percent(d.occupancy)}</td><td>{minutes(d.consultationMinutes.p50)}</td><td>{formatMoney(d.revenue.netMinor, d.revenue.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** Weekday × hour occupancy: each cell shaded by it and saying it (colour is never the only signal). */
function Heatmap({ data }: { data: HeatmapReply }) {
  const id = useId();
  const hours = [...new Set(data.cells.map((c) => c.hour))].sort((a, b) => a - b);
  const at = new Map(data.cells.map((c) => [`${c.weekday}:${c.hour}`, c]));
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Busy and idle hours</h2>
      {hours.length === 0 ? <p>No bookable time in these days.</p> : (
        <div className="admin-table-wrap">
          <table className="analytics-heatmap" data-testid="analytics-heatmap">
            <caption>Share of bookable time booked, by weekday and hour ({data.timeZone})</caption>
            <thead><tr><th scope="col">Hour</th>{WEEKDAYS.map((d) => <th key={d} scope="col">{d}</th>)}</tr></thead>
            <tbody>
              {hours.map((hour) => (
                <tr key={hour}>
                  <th scope="row">{String(hour).padStart(2, "0")}:00</th>
                  {WEEKDAYS.map((_, i) => {
                    const cell = at.get(`${i + 1}:${hour}`);
                    const share = cell?.occupancy ?? null;
                    return (
                      <td key={i} style={share === null ? undefined : { background: `rgb(11 61 92 / ${0.08 + share * 0.8})`, color: share > 0.5 ? "#fff" : undefined }}>
                        {share === null ? "" : `${Math.round(share * 100)}%`}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
