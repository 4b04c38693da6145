/**
 * The waiting-room display (/display): full screen, large type, anonymised. A screen opens
 * `/display?clinic=<clinicId>#token=dsp_…` once; the token moves to sessionStorage and out of the
 * address bar. Staff (receptionist, clinic admin, platform admin) may preview it with their own
 * session. It subscribes to `display:{clinicId}`, keeps the feed with the newest `asOf`, announces
 * `display.called` (chime + banner) and reconnects by itself.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import {
  displaySnapshotSchema,
  eventData,
  topics,
  type DisplayCalled,
  type DisplaySnapshot,
  type DisplayTicket,
  type ReceivedEvent,
} from "@clinic/shared";
import { LiveIndicator } from "../components/LiveIndicator";
import { QrCode } from "../components/QrCode";
import { chime, enableSound, soundEnabled } from "../lib/audio";
import type { Credential } from "../lib/realtime";
import { useSession } from "../lib/session";
import { formatTime } from "../lib/format";
import { useNow } from "../lib/useNow";
import { useTopic } from "../lib/useTopic";

const TOKEN_KEY = "clinic-live.display-token";
const CLINIC_KEY = "clinic-live.display-clinic";
const ANNOUNCE_MS = 12_000;

/** Reads `#token=` / `clinic=` (query or fragment) once, keeps them for this tab, cleans the URL. */
function readSetup(): { token: string | null; clinicId: string | null } {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const query = new URLSearchParams(location.search);
  const token = fragment.get("token");
  const clinic = query.get("clinic") ?? fragment.get("clinic");
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  if (clinic) sessionStorage.setItem(CLINIC_KEY, clinic);
  if (token || fragment.get("clinic")) history.replaceState(null, "", `${location.pathname}${location.search}`);
  return { token: sessionStorage.getItem(TOKEN_KEY), clinicId: sessionStorage.getItem(CLINIC_KEY) };
}

/** Applies one display event: a newer feed replaces the state, an overtaken one is dropped. */
export function reduceDisplay(state: DisplaySnapshot, event: ReceivedEvent): DisplaySnapshot {
  if (event.type !== "display.updated") return state;
  const feed = eventData(event);
  if (!feed) return state;
  return Date.parse(feed.asOf) >= Date.parse(state.asOf) ? feed : state;
}

function place(ticket: { room: string | null; doctorName: string | null }): string {
  return [ticket.room, ticket.doctorName].filter(Boolean).join(" · ") || "Reception";
}

/** The expected time, as the board and the patient's phone show it, with the minutes left. */
function waitText(ticket: DisplayTicket, timeZone: string): string {
  if (ticket.expectedAt === null || ticket.estimatedWaitMinutes === null) return "—";
  if (ticket.estimatedWaitMinutes < 1) return "Now";
  return `${formatTime(ticket.expectedAt, timeZone)} · ${ticket.estimatedWaitMinutes} min`;
}

function useClock(timeZone: string | undefined): string {
  const now = useNow(true, 15_000);
  return timeZone ? formatTime(new Date(now).toISOString(), timeZone) : new Date(now).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function Display() {
  const session = useSession();
  const [setup] = useState(readSetup);
  const staffPreview = !setup.token && session && ["receptionist", "clinic_admin", "platform_admin"].includes(session.user.role);
  const clinicId = setup.clinicId ?? (staffPreview ? (session?.user.memberships[0]?.clinicId ?? null) : null);
  const credential: Credential | undefined = setup.token ? { kind: "display", token: setup.token } : undefined;
  const usable = !!clinicId && (!!setup.token || !!staffPreview);

  const [announcement, setAnnouncement] = useState<DisplayCalled | null>(null);
  const [sound, setSound] = useState(soundEnabled);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const onEvent = useCallback((event: ReceivedEvent) => {
    if (event.type !== "display.called") return;
    const called = eventData(event);
    if (!called) return;
    setAnnouncement(called);
    chime();
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setAnnouncement(null), ANNOUNCE_MS);
  }, []);
  useEffect(() => () => clearTimeout(timer.current), []);

  const feed = useTopic(usable ? topics.display(clinicId) : null, {
    credential,
    fromSnapshot: (snapshot) => displaySnapshotSchema.parse(snapshot),
    reduce: reduceDisplay,
    onEvent,
  });
  const clock = useClock(feed.state?.clinic.timeZone);

  if (!usable) {
    return (
      <main className="display display-setup" id="main">
        <h1>Waiting-room display</h1>
        <p>This screen is not set up. Open the address a clinic admin gives you when creating a display token:</p>
        <p className="mono">/display?clinic=&lt;clinic id&gt;#token=dsp_…</p>
      </main>
    );
  }

  const data = feed.state;
  return (
    <main className="display" id="main" data-status={feed.status}>
      <header className="display-header">
        <h1>{data?.clinic.name ?? "Waiting room"}</h1>
        <div className="display-tools">
          <span className="display-clock" aria-label="Time">{clock}</span>
          <LiveIndicator status={feed.status} detail={feed.error} />
          {!sound && (
            <button type="button" className="button" onClick={() => void enableSound().then(setSound)}>
              Enable sound
            </button>
          )}
          <button type="button" className="button button-quiet" onClick={() => void document.documentElement.requestFullscreen?.()}>
            Full screen
          </button>
        </div>
      </header>

      {feed.error && feed.status === "offline" && <p className="display-error" role="alert">{feed.error}</p>}

      <div className={`display-announcement${announcement ? " active" : ""}`} role="alert" aria-live="assertive">
        {announcement && (
          <p>
            <span className="ticket" data-testid="announced-ticket">{announcement.ticket}</span>
            <span className="announce-name">{announcement.maskedName}</span>
            <span className="announce-place">please go to {place(announcement)}</span>
          </p>
        )}
      </div>

      {!data ? (
        feed.status !== "offline" && <p className="display-loading">Connecting to the clinic…</p>
      ) : (
        <div className="display-grid">
          <section aria-labelledby="now-serving" className="display-panel">
            <h2 id="now-serving">Now serving</h2>
            <TicketList tickets={data.nowServing} empty="Nobody is being seen right now." testId="now-serving" />
          </section>
          <section aria-labelledby="next-up" className="display-panel">
            <h2 id="next-up">Next <span className="count">({data.waitingCount} waiting)</span></h2>
            <TicketList tickets={data.next} empty="Nobody is waiting." testId="next" timeZone={data.clinic.timeZone} />
          </section>
          <aside className="display-panel display-checkin" aria-labelledby="check-in">
            <h2 id="check-in">Check in with your phone</h2>
            <p>Today's code</p>
            <p className="checkin-code" data-testid="check-in-code">{data.checkInCode}</p>
            <QrCode className="checkin-qr" value={data.checkInCode} label={`QR code of today's check-in code ${data.checkInCode}`} />
          </aside>
        </div>
      )}
    </main>
  );
}

/** Tickets in order; with `timeZone`, each with its expected time. */
function TicketList({ tickets, empty, testId, timeZone }: { tickets: DisplayTicket[]; empty: string; testId: string; timeZone?: string }) {
  if (tickets.length === 0) return <p className="display-empty">{empty}</p>;
  return (
    <ol className="ticket-list" data-testid={testId}>
      {tickets.map((ticket) => (
        <li key={ticket.ticket} className={`ticket-row status-${ticket.status}`}>
          <span className="ticket">{ticket.ticket}</span>
          <span className="ticket-name">{ticket.maskedName}</span>
          <span className="ticket-place">{place(ticket)}</span>
          {timeZone && <span className="ticket-wait">{waitText(ticket, timeZone)}</span>}
        </li>
      ))}
    </ol>
  );
}
