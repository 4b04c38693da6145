/**
 * Reception's actions on one queue entry: reorder (a position and why), reassign to another
 * doctor, mark left. Each carries the entry version the receptionist saw when opening the panel,
 * so acting on something that changed meanwhile is refused (409 VERSION_CONFLICT) instead of
 * silently overriding a colleague.
 */
import { useId, useState } from "react";
import { queueEntryViewSchema, type DoctorSummary, type QueueEntryView } from "@clinic/shared";
import { DoctorSelect } from "../../components/Doctors";
import { FormError, TextField, useSubmit } from "../../components/Field";
import { ApiError, api } from "../../lib/api";
import { askToConfirm } from "../../components/Confirm";

export interface EntryActionProps {
  entry: QueueEntryView;
  doctors: DoctorSummary[];
  onDone(entry: QueueEntryView, message: string): void;
  onConflict(entry: QueueEntryView): void;
  onClose(): void;
}

export function EntryActions({ entry, doctors, onDone, onConflict, onClose }: EntryActionProps) {
  const id = useId();
  // The version seen when the panel opened: the decision was made on that state.
  const [version] = useState(entry.version);
  const [rank, setRank] = useState(entry.manualRank?.toString() ?? "1");
  const [rankReason, setRankReason] = useState("");
  const others = doctors.filter((d) => d.id !== entry.doctorId);
  const [doctorId, setDoctorId] = useState(others[0]?.id ?? "");
  const [handoverReason, setHandoverReason] = useState("");

  async function post(path: string, body: Record<string, unknown>, message: (e: QueueEntryView) => string) {
    try {
      const updated = await api(`/queue-entries/${entry.id}/${path}`, { method: "POST", body: { version, ...body }, schema: queueEntryViewSchema });
      onDone(updated, message(updated));
    } catch (error) {
      if (error instanceof ApiError && error.code === "VERSION_CONFLICT") return onConflict(entry);
      throw error;
    }
  }

  const reorder = useSubmit(() => post("reorder", { rank: rank.trim() === "" ? null : Number(rank), reason: rankReason }, (e) =>
    e.manualRank === null ? `${e.ticket}: manual position cleared.` : `${e.ticket} moved to position ${e.manualRank}.`));
  const reassign = useSubmit(() => post("reassign", { doctorId, ...(handoverReason.trim() ? { reason: handoverReason } : {}) }, (e) =>
    `${e.ticket} handed over to ${e.doctorName ?? "another doctor"}.`));
  const leave = useSubmit(async () => {
    if (!(await askToConfirm(`Mark ${entry.ticket} (${entry.patientName}) as left? Their appointment is cancelled and the place freed.`, "Mark as left"))) return;
    await post("leave", {}, (e) => `${e.ticket} marked as left.`);
  });

  return (
    <div className="rc-actions" role="group" aria-label={`Actions for ${entry.ticket} ${entry.patientName}`}>
      {entry.status === "waiting" && (
        <>
          <form onSubmit={reorder.onSubmit()} noValidate aria-labelledby={`${id}-reorder`}>
            <h4 id={`${id}-reorder`}>Change position</h4>
            <FormError message={reorder.formError} />
            <TextField label="Position (1 = next; empty clears)" type="number" min={1} max={1000} value={rank}
              onChange={(e) => setRank(e.target.value)} error={reorder.fieldErrors.rank} />
            <TextField label="Reason for the change" value={rankReason} onChange={(e) => setRankReason(e.target.value)} error={reorder.fieldErrors.reason} />
            <button type="submit" className="button" disabled={reorder.busy}>Set position</button>
          </form>
          <form onSubmit={reassign.onSubmit()} noValidate aria-labelledby={`${id}-reassign`}>
            <h4 id={`${id}-reassign`}>Hand over</h4>
            <FormError message={reassign.formError} />
            {others.length === 0 ? <p>No other doctor works at this clinic.</p> : (
              <>
                <DoctorSelect label="To doctor" doctors={others} value={doctorId} onChange={setDoctorId} error={reassign.fieldErrors.doctorId} blank={null} />
                <TextField label="Handover reason (optional)" value={handoverReason} onChange={(e) => setHandoverReason(e.target.value)} error={reassign.fieldErrors.reason} />
                <button type="submit" className="button" disabled={reassign.busy}>Reassign</button>
              </>
            )}
          </form>
        </>
      )}
      <div className="rc-action-row">
        <FormError message={leave.formError} />
        <button type="button" className="button button-quiet" onClick={() => void leave.run()} disabled={leave.busy}>Mark left</button>
        <button type="button" className="button button-quiet" onClick={onClose}>Close</button>
      </div>
    </div>
  );
}
