import type { ConnectionStatus } from "../lib/realtime";

const LABELS: Record<ConnectionStatus, string> = {
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

/** The visible connection state: colour, a shape and text, so it never relies on colour alone. */
export function LiveIndicator({ status, detail }: { status: ConnectionStatus; detail?: string | null }) {
  return (
    <span className={`live-indicator live-${status}`} role="status" aria-live="polite" data-status={status} title={detail ?? undefined}>
      <span className="live-dot" aria-hidden="true" />
      {LABELS[status]}
      {detail && status !== "live" ? <span className="visually-hidden">: {detail}</span> : null}
    </span>
  );
}
