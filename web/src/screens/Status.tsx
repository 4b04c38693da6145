import { useEffect, useState } from "react";
import { readinessSchema, type DependencyCheck, type Readiness } from "@clinic/shared";

const READY_URL = "/api/v1/ready";
const POLL_INTERVAL_MS = 15_000;
// A hung request must not freeze the panel on stale data.
const REQUEST_TIMEOUT_MS = 10_000;

type StatusState =
  | { kind: "loading" }
  | { kind: "unreachable"; checkedAt: Date }
  | { kind: "loaded"; readiness: Readiness; checkedAt: Date };

async function fetchReadiness(signal: AbortSignal): Promise<Readiness> {
  const response = await fetch(READY_URL, { headers: { accept: "application/json" }, signal });
  // 503 still carries the per-dependency report; any other status (e.g. a proxy's 502) does not.
  if (response.status !== 200 && response.status !== 503) {
    throw new Error(`Unexpected HTTP ${response.status}`);
  }
  const parsed = readinessSchema.safeParse(await response.json());
  if (!parsed.success) throw new Error("Unexpected readiness payload");
  return parsed.data;
}

function useReadiness(): StatusState {
  const [state, setState] = useState<StatusState>({ kind: "loading" });

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;

    // Schedule the next poll only after this one settles, so slow replies never overlap.
    async function poll() {
      try {
        const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
        const readiness = await fetchReadiness(signal);
        setState({ kind: "loaded", readiness, checkedAt: new Date() });
      } catch {
        if (controller.signal.aborted) return;
        setState({ kind: "unreachable", checkedAt: new Date() });
      }
      timer = setTimeout(() => void poll(), POLL_INTERVAL_MS);
    }

    void poll();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, []);

  return state;
}

function summaryOf(state: StatusState): { text: string; tone: "pending" | "up" | "down" } {
  switch (state.kind) {
    case "loading":
      return { text: "Checking system status…", tone: "pending" };
    case "unreachable":
      return {
        text: `Cannot reach the server. Retrying every ${POLL_INTERVAL_MS / 1000} seconds.`,
        tone: "down",
      };
    case "loaded":
      if (state.readiness.status === "ready") return { text: "Ready: all dependencies are up.", tone: "up" };
      // Degraded: the API serves, but something it can run without is down (the worker heartbeat).
      if (state.readiness.status === "degraded") return { text: "Degraded: serving, but background jobs are not running.", tone: "pending" };
      return { text: "Not ready: one or more dependencies are down.", tone: "down" };
  }
}

function CheckItem({ name, check }: { name: string; check: DependencyCheck }) {
  const up = check.status === "up";
  return (
    <li className="check">
      <span className="check-name">{name}</span>
      <span className={`badge badge-${up ? "up" : "down"}`}>
        <span aria-hidden="true">{up ? "✓" : "✕"}</span> {up ? "Up" : "Down"}
      </span>
      {check.latencyMs !== undefined && (
        <span className="check-latency">{Math.round(check.latencyMs)} ms</span>
      )}
      {check.error && <p className="check-error">{check.error}</p>}
    </li>
  );
}

function StatusPanel({ state }: { state: StatusState }) {
  const summary = summaryOf(state);
  const checks = state.kind === "loaded" ? Object.entries(state.readiness.checks) : [];

  return (
    <>
      {/* Only the summary is a live region, so screen readers do not re-announce the list on every poll. */}
      <p role="status" className={`summary summary-${summary.tone}`}>
        {summary.text}
      </p>
      {state.kind === "loaded" &&
        (checks.length > 0 ? (
          <ul className="checks" aria-label="Dependencies">
            {checks.map(([name, check]) => (
              <CheckItem key={name} name={name} check={check} />
            ))}
          </ul>
        ) : (
          <p>No dependency checks were reported.</p>
        ))}
      {state.kind !== "loading" && (
        <p className="checked-at">
          Last checked at{" "}
          <time dateTime={state.checkedAt.toISOString()}>{state.checkedAt.toLocaleTimeString()}</time>
        </p>
      )}
    </>
  );
}

/** The system status panel (GET /ready), shown on the home page. */
export function SystemStatus() {
  const status = useReadiness();
  return (
    <section className="panel" aria-labelledby="status-heading">
      <h2 id="status-heading">System status</h2>
      <StatusPanel state={status} />
    </section>
  );
}
