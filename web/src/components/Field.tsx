/**
 * Form building blocks: a labelled field that shows its server-side error (aria-invalid +
 * aria-describedby), and useSubmit, which turns an ApiError into per-field and form-level messages.
 */
import { useId, useState, type FormEvent, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from "react";
import { ApiError } from "../lib/api";

interface FieldProps {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
}

function useFieldIds(error: string | undefined, hint: ReactNode) {
  const id = useId();
  const described = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(" ");
  return { id, describedBy: described || undefined };
}

function FieldFrame({ id, label, error, hint, children }: FieldProps & { id: string; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && <p className="field-hint" id={`${id}-hint`}>{hint}</p>}
      {error && <p className="field-error" id={`${id}-error`}>{error}</p>}
    </div>
  );
}

export function TextField({ label, error, hint, ...input }: FieldProps & InputHTMLAttributes<HTMLInputElement>) {
  const { id, describedBy } = useFieldIds(error, hint);
  return (
    <FieldFrame id={id} label={label} error={error} hint={hint}>
      <input id={id} aria-invalid={!!error} aria-describedby={describedBy} {...input} />
    </FieldFrame>
  );
}

export function TextArea({ label, error, hint, ...input }: FieldProps & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const { id, describedBy } = useFieldIds(error, hint);
  return (
    <FieldFrame id={id} label={label} error={error} hint={hint}>
      <textarea id={id} aria-invalid={!!error} aria-describedby={describedBy} {...input} />
    </FieldFrame>
  );
}

export function SelectField({ label, error, hint, children, ...select }: FieldProps & SelectHTMLAttributes<HTMLSelectElement>) {
  const { id, describedBy } = useFieldIds(error, hint);
  return (
    <FieldFrame id={id} label={label} error={error} hint={hint}>
      <select id={id} aria-invalid={!!error} aria-describedby={describedBy} {...select}>{children}</select>
    </FieldFrame>
  );
}

export function FormError({ message }: { message: string | null }) {
  return message ? <p className="form-error" role="alert">{message}</p> : null;
}

/**
 * useSubmit(action): `submit` runs the action once at a time; an ApiError's field errors land in
 * `fieldErrors` (by field name without its `body.` prefix) and anything else in `formError`.
 */
export function useSubmit<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  async function run(...args: A) {
    if (busy) return;
    setBusy(true);
    setFormError(null);
    setFieldErrors({});
    try {
      await action(...args);
    } catch (error) {
      if (!(error instanceof ApiError)) {
        setFormError(error instanceof Error ? error.message : "Something went wrong.");
        return;
      }
      const fields = error.fieldErrors();
      setFieldErrors(fields);
      // A field error is shown on its field; the summary names what went wrong overall.
      setFormError(Object.keys(fields).length > 0 ? "Please correct the marked fields." : error.message);
    } finally {
      setBusy(false);
    }
  }

  return {
    busy,
    formError,
    fieldErrors,
    setFormError,
    run,
    onSubmit: (...args: A) => (event: FormEvent) => {
      event.preventDefault();
      void run(...args);
    },
  };
}
