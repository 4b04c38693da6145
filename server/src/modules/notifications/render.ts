/**
 * Turns a template and a payload into the words a person reads. The user's language is used when
 * the template has it, English otherwise. A `{{name}}` with no value in the payload is reported as
 * missing: delivery refuses to send a message with a hole in it (the row fails, saying which value),
 * while the inbox, which only re-displays, shows the gap as empty.
 */
import { templates, type TemplateDefinition, type TemplateText } from "./templates";

export interface Rendered extends TemplateText {
  /** Placeholders the payload had no value for (deduplicated, in order of appearance). */
  missing: string[];
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

export function templateOf(name: string): TemplateDefinition | undefined {
  return Object.hasOwn(templates, name) ? (templates as Record<string, TemplateDefinition>)[name] : undefined;
}

/** Null for a template this server does not know (renamed or removed since the row was written). */
export function renderTemplate(name: string, language: string, payload: Record<string, unknown>): Rendered | null {
  const template = templateOf(name);
  if (!template) return null;
  const text = pickLanguage(template, language);
  const missing = new Set<string>();
  const fill = (source: string) =>
    source.replace(PLACEHOLDER, (_match, key: string) => {
      const value = payload[key];
      if (value === undefined || value === null) {
        missing.add(key);
        return "";
      }
      return String(value);
    });
  return { title: fill(text.title), body: fill(text.body), missing: [...missing] };
}

/** `pt-BR` falls back to `pt`, then to `en`. */
function pickLanguage(template: TemplateDefinition, language: string): TemplateText {
  const wanted = language.toLowerCase();
  const base = wanted.split("-")[0]!;
  return template.text[wanted] ?? template.text[base] ?? template.text.en;
}

/** The payload with the template's secret fields replaced, for storage once a message has left. */
export function scrubbed(name: string, payload: Record<string, unknown>): Record<string, unknown> {
  const secrets = templateOf(name)?.secretFields ?? [];
  if (!secrets.some((field) => Object.hasOwn(payload, field))) return payload;
  return Object.fromEntries(Object.entries(payload).map(([key, value]) => [key, secrets.includes(key) ? "[scrubbed]" : value]));
}

/** The template's file (its text from the payload), when it has one and the payload carries it. */
export function attachmentsOf(name: string, payload: Record<string, unknown>): { filename: string; contentType: string; content: string }[] | undefined {
  const attachment = templateOf(name)?.attachment;
  const content = attachment ? payload[attachment.field] : undefined;
  return attachment && typeof content === "string" ? [{ filename: attachment.filename, contentType: attachment.contentType, content }] : undefined;
}
