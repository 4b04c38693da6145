/** The RFC 4180 CSV parser and serialiser used by the slot import and export. */
import { describe, expect, it } from "vitest";
import { CsvSyntaxError, parseCsv, serializeCsv } from "../../server/src/modules/scheduling/csv";

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

describe("CSV", () => {
  it("reads plain, quoted and empty fields", () => {
    expect(fields("a,b,c\n1,,3\n")).toEqual([["a", "b", "c"], ["1", "", "3"]]);
    expect(fields('"a","b, with comma","say ""hi"""\n')).toEqual([["a", "b, with comma", 'say "hi"']]);
    expect(fields('x,""\n')).toEqual([["x", ""]]);
    expect(fields("a,b,\n")).toEqual([["a", "b", ""]]);
  });

  it("accepts CRLF, LF and a missing final line break; skips blank lines; ignores a BOM", () => {
    expect(fields("a,b\r\n1,2\r\n")).toEqual([["a", "b"], ["1", "2"]]);
    expect(fields("a,b\n1,2")).toEqual([["a", "b"], ["1", "2"]]);
    expect(fields("a\r\n\r\n\nb\n")).toEqual([["a"], ["b"]]);
    expect(fields("\uFEFFdate,start\n2026-01-01,09:00")).toEqual([["date", "start"], ["2026-01-01", "09:00"]]);
  });

  it("keeps line breaks inside quotes and numbers records by the line they start on", () => {
    const records = parseCsv('h1,h2\r\n"multi\r\nline",x\r\nlast,"a\nb"\nend,1\n');
    expect(records.map((r) => r.line)).toEqual([1, 2, 4, 6]);
    expect(records[1]!.fields).toEqual(["multi\r\nline", "x"]);
    expect(records[2]!.fields).toEqual(["last", "a\nb"]);
  });

  it("rejects unterminated quotes and stray quotes with the line", () => {
    expect(() => parseCsv('a\n"open,b\n')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a\n"open,b\n')).toThrow(/line 2/);
    expect(() => parseCsv('a,"b"c\n')).toThrow(/after a closing quote/);
    expect(() => parseCsv('a,b"c\n')).toThrow(/inside an unquoted field/);
  });

  it("serialises with quoting only where needed, and round-trips", () => {
    const rows = [
      ["date", "note"],
      ["2026-01-01", 'He said "hi", then left'],
      ["2026-01-02", "two\nlines"],
      ["2026-01-03", " padded "],
      ["2026-01-04", "plain"],
    ];
    const text = serializeCsv(rows);
    expect(text).toBe('date,note\r\n2026-01-01,"He said ""hi"", then left"\r\n2026-01-02,"two\nlines"\r\n2026-01-03," padded "\r\n2026-01-04,plain\r\n');
    expect(fields(text)).toEqual(rows);
  });
});
