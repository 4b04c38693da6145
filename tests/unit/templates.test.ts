/**
 * Every message a patient or a doctor receives has its Bengali text beside the English one, and the
 * Bengali text asks for no value the English one does not (or its Bengali twin, `…Bn`), so a message
 * never fails for a Bengali speaker alone. Staff alerts (`alert`) are English only.
 */
import { describe, expect, it } from "vitest";
import { templates, type TemplateDefinition } from "../../server/src/modules/notifications/templates";

const placeholders = (text: string) => [...text.matchAll(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g)].map((m) => m[1]!);

describe("message templates", () => {
  const all = Object.entries(templates as Record<string, TemplateDefinition>);

  it("have Bengali for every message but the staff alerts", () => {
    const missing = all.filter(([, t]) => t.category !== "alert" && !t.text.bn).map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it("ask in Bengali only for values the English asks for, or their Bengali twins", () => {
    const stray = all.flatMap(([name, t]) => {
      if (!t.text.bn) return [];
      const english = new Set([...placeholders(t.text.en.title), ...placeholders(t.text.en.body)]);
      return [...placeholders(t.text.bn.title), ...placeholders(t.text.bn.body)]
        .filter((key) => !english.has(key) && !(key.endsWith("Bn") && english.has(key.slice(0, -2))))
        .map((key) => `${name}: ${key}`);
    });
    expect(stray).toEqual([]);
  });
});
