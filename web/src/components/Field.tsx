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

export interface SubmitOptions {
  /** Problem codes that belong on one of the form's fields: `{ TOTP_INVALID: "code" }`. */
  fieldCodes?: Partial<Record<ApiError["code"], string>>;
}

/**
 * Where a failure is shown: `fields` by field name (without `body.`), `summary` for the form. The
 * problem's `errors`, else a `fieldCodes` match, else its top-level `field` (CHECK_IN_CODE_INVALID
 * names `body.code`) land on a field. A top-level `field` keeps the problem's message as the summary
 * too, since a form may not show that field.
 */
export function submitErrors(error: unknown, options: SubmitOptions = {}): { fields: Record<string, string>; summary: string } {
  if (!(error instanceof ApiError)) return { fields: {}, summary: error instanceof Error ? error.message : "Something went wrong." };
  const fields = error.fieldErrors();
  if (Object.keys(fields).length > 0) return { fields, summary: "Please correct the marked fields." };
  const coded = options.fieldCodes?.[error.code];
  if (coded) return { fields: { [coded]: error.message }, summary: "Please correct the marked fields." };
  if (error.field) return { fields: { [error.field]: error.message }, summary: error.message };
  return { fields: {}, summary: error.message };
}

/**
 * useSubmit(action, options): `run` runs the action once at a time; a failure lands in `fieldErrors`
 * and `formError` as submitErrors() places it.
 */
export function useSubmit<A extends unknown[]>(action: (...args: A) => Promise<void>, options: SubmitOptions = {}) {
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
      const { fields, summary } = submitErrors(error, options);
      setFieldErrors(fields);
      setFormError(summary);
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
