/**
 * The preview-then-apply pattern of bulk changes: "Preview" runs the request with dryRun (nothing is
 * written) and shows what would change; "Apply" is offered only for the inputs that were previewed,
 * so changing any input after a preview asks for a new one. General-purpose: any dry-runnable write.
 */
import { useState, type ReactNode } from "react";
import { FormError, useSubmit } from "../../components/Field";

export function useDryRun<T>(key: string, run: (dryRun: boolean) => Promise<T>) {
  const [preview, setPreview] = useState<{ key: string; result: T } | null>(null);
  const [applied, setApplied] = useState<{ key: string; result: T } | null>(null);
  const previewing = useSubmit(async () => {
    setApplied(null);
    setPreview(null);
    setPreview({ key, result: await run(true) });
  });
  const applying = useSubmit(async () => {
    const result = await run(false);
    setPreview(null);
    setApplied({ key, result });
  });
  const current = preview?.key === key ? preview.result : null;
  return { preview: current, applied: applied?.result ?? null, previewing, applying, stale: preview !== null && preview.key !== key };
}

/** The buttons and messages of a dry-runnable form; `children` renders the preview. */
export function DryRunControls<T>({ flow, what, children, canApply = () => true, done }: {
  flow: ReturnType<typeof useDryRun<T>>;
  what: string;
  children: (preview: T) => ReactNode;
  canApply?: (preview: T) => boolean;
  done: (result: T) => ReactNode;
}) {
  const { preview, applied, previewing, applying, stale } = flow;
  return (
    <>
      <FormError message={previewing.formError ?? applying.formError} />
      <div className="admin-buttons">
        <button type="submit" className="button button-quiet" disabled={previewing.busy}>{previewing.busy ? "Checking…" : `Preview ${what}`}</button>
      </div>
      {stale && <p className="field-hint" role="status">The inputs changed since the preview: preview again.</p>}
      {preview && (
        <div className="dry-run" role="region" aria-label={`Preview of ${what}`}>
          <p className="dry-run-flag"><span className="badge">Preview</span> Nothing has changed yet.</p>
          {children(preview)}
          <button type="button" className="button" onClick={() => void applying.run()} disabled={applying.busy || !canApply(preview)}>
            {applying.busy ? "Applying…" : `Apply ${what}`}
          </button>
          {!canApply(preview) && <p className="field-hint">Apply is off: there is nothing to apply, or problems above must be fixed first.</p>}
        </div>
      )}
      {applied && <div className="dry-run-done" role="status">{done(applied)}</div>}
    </>
  );
}
