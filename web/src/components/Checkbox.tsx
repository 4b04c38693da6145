/** A labelled checkbox with an optional hint and server error (Field.tsx has text inputs only). Styles: `.check-field`. */
import { useId } from "react";

export function Checkbox({ label, checked, onChange, hint, error, disabled }: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: string;
  error?: string | undefined;
  disabled?: boolean;
}) {
  const id = useId();
  const describedBy = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className="check-field">
      <input id={id} type="checkbox" checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)}
        aria-invalid={!!error} aria-describedby={describedBy} />
      <label htmlFor={id}>{label}</label>
      {hint && <span className="field-hint" id={`${id}-hint`}>{hint}</span>}
      {error && <span className="field-error" id={`${id}-error`}>{error}</span>}
    </div>
  );
}
