/**
 * Doctors' credential documents: the doctor uploads PDFs and images (checked by their bytes, size
 * capped), lists and removes them; a platform admin reads them (audited) before approving; nobody
 * else sees them; approval needs one, and a removal racing an approval never leaves an approved
 * doctor without the documents that were approved.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { DOCTOR_DOCUMENT_MAX_BYTES, doctorDocumentListSchema, doctorDocumentSchema } from "@clinic/shared";
import { readJson, useApp } from "../support/harness";
import { buildClinic, buildPerson, type TestPerson } from "../support/factories";
import { call, JPEG_BYTES, PDF_BYTES, PNG_BYTES, request, uploadDocument } from "../support/api";
import { count, query } from "../support/db";

describe("credential documents", () => {
  const app = useApp();
  let clinicId: string;
  let admin: TestPerson;

  beforeAll(async () => {
    clinicId = (await buildClinic(app)).id;
    admin = await buildPerson(app, "platform_admin");
  });

  const pendingDoctor = async () => {
    const doctor = await buildPerson(app, "doctor", { clinicIds: [clinicId], approved: false });
    await call(app, doctor, "POST", `/doctors/${doctor.doctorId}/credentials`, { registrationBody: "General Medical Council", registrationNumber: "7654321" });
    return doctor;
  };

  it("takes PDFs, PNGs and JPEGs from the doctor, lists them, and gives the admin the same bytes back (audited)", async () => {
    const doctor = await pendingDoctor();
    const id = doctor.doctorId!;
    const pdf = await readJson(await uploadDocument(app, doctor, id, "registration", "GMC certificate — 2026.pdf", PDF_BYTES), doctorDocumentSchema);
    expect(pdf).toMatchObject({ doctorId: id, kind: "registration", fileName: "GMC certificate — 2026.pdf", contentType: "application/pdf", sizeBytes: PDF_BYTES.length });
    expect((await uploadDocument(app, doctor, id, "qualification", "mbbs.png", PNG_BYTES, "image/png")).status).toBe(201);
    expect((await uploadDocument(app, doctor, id, "identity", "passport.jpg", JPEG_BYTES, "image/jpeg")).status).toBe(201);

    const list = await readJson(await request(app, admin, "GET", `/doctors/${id}/documents`), doctorDocumentListSchema);
    expect(list.items.map((item) => [item.kind, item.contentType])).toEqual([
      ["registration", "application/pdf"],
      ["qualification", "image/png"],
      ["identity", "image/jpeg"],
    ]);
    const file = await request(app, admin, "GET", `/doctor-documents/${pdf.id}/file`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("application/pdf");
    expect(file.headers.get("content-disposition")).toContain("filename*=UTF-8''GMC%20certificate%20%E2%80%94%202026.pdf");
    expect(Buffer.from(await file.arrayBuffer()).equals(PDF_BYTES)).toBe(true);
    expect(await count(app, "select count(*) n from audit_event where action = 'doctor.document.read' and entity_id = ? and actor_id = ?", [id, admin.user.id])).toBe(1);
    // The doctor's own reads are not audited.
    expect((await request(app, doctor, "GET", `/doctor-documents/${pdf.id}/file`)).status).toBe(200);
    expect(await count(app, "select count(*) n from audit_event where action = 'doctor.document.read' and entity_id = ?", [id])).toBe(1);
  });

  it("refuses what is not a document of an accepted type, too large a file, and a bad name, writing nothing", async () => {
    const doctor = await pendingDoctor();
    const id = doctor.doctorId!;
    const cases: [string, Response][] = [
      ["a PNG sent as a PDF", await uploadDocument(app, doctor, id, "registration", "x.pdf", PNG_BYTES)],
      ["HTML sent as an image", await uploadDocument(app, doctor, id, "registration", "x.png", Buffer.from("<html><script>alert(1)</script>"), "image/png")],
      ["an unknown kind", await uploadDocument(app, doctor, id, "selfie", "x.pdf", PDF_BYTES)],
      ["a name with a slash", await uploadDocument(app, doctor, id, "registration", "../../etc/passwd", PDF_BYTES)],
      ["a text file", await uploadDocument(app, doctor, id, "registration", "x.txt", Buffer.from("hello"), "text/plain")],
      ["too large", await uploadDocument(app, doctor, id, "registration", "big.pdf", Buffer.concat([PDF_BYTES, Buffer.alloc(DOCTOR_DOCUMENT_MAX_BYTES)]))],
    ];
    const outcomes = await Promise.all(cases.map(async ([what, response]) => [what, response.status, response.headers.get("content-type")?.split(";")[0], await response.text()] as const));
    expect(outcomes.map(([what, status]) => [what, status])).toEqual([
      ["a PNG sent as a PDF", 400],
      ["HTML sent as an image", 400],
      ["an unknown kind", 400],
      ["a name with a slash", 400],
      ["a text file", 400],
      ["too large", 413],
    ]);
    for (const [what, , type, text] of outcomes) {
      expect(type, what).toBe("application/problem+json");
      if (what.includes("sent as") || what === "a text file") expect(text, what).toContain('"body"');
    }
    expect(await count(app, "select count(*) n from doctor_document where doctor_id = ?", [id])).toBe(0);
  });

  it("shows them to nobody else: not another doctor, the clinic's staff, or a patient", async () => {
    const doctor = await pendingDoctor();
    const document = await readJson(await uploadDocument(app, doctor, doctor.doctorId!, "registration", "gmc.pdf", PDF_BYTES), doctorDocumentSchema);
    const outsiders = [
      await buildPerson(app, "doctor", { clinicIds: [clinicId] }),
      await buildPerson(app, "clinic_admin", { clinicIds: [clinicId] }),
      await buildPerson(app, "receptionist", { clinicIds: [clinicId] }),
      await buildPerson(app, "patient"),
    ];
    for (const outsider of outsiders) {
      expect((await request(app, outsider, "GET", `/doctors/${doctor.doctorId}/documents`)).status).toBe(404);
      expect((await request(app, outsider, "GET", `/doctor-documents/${document.id}/file`)).status).toBe(404);
      expect((await request(app, outsider, "DELETE", `/doctor-documents/${document.id}`)).status).toBe(404);
      expect((await uploadDocument(app, outsider, doctor.doctorId!, "other", "x.pdf", PDF_BYTES)).status).toBe(403);
    }
    expect((await request(app, null, "GET", `/doctor-documents/${document.id}/file`)).status).toBe(401);
    expect(await count(app, "select count(*) n from doctor_document where doctor_id = ?", [doctor.doctorId])).toBe(1);
  });

  it("approval needs a document; the doctor removes one before approval, not after", async () => {
    const doctor = await pendingDoctor();
    const id = doctor.doctorId!;
    expect((await call(app, admin, "POST", `/doctors/${id}/approve`)).body.code).toBe("DOCUMENTS_MISSING");
    const first = await readJson(await uploadDocument(app, doctor, id, "registration", "gmc.pdf", PDF_BYTES), doctorDocumentSchema);
    const second = await readJson(await uploadDocument(app, doctor, id, "qualification", "mbbs.pdf", PDF_BYTES), doctorDocumentSchema);
    expect((await request(app, doctor, "DELETE", `/doctor-documents/${first.id}`)).status).toBe(204);
    expect((await request(app, admin, "GET", `/doctor-documents/${first.id}/file`)).status).toBe(404);
    expect((await call(app, admin, "POST", `/doctors/${id}/approve`)).status).toBe(200);
    const late = await call(app, doctor, "DELETE", `/doctor-documents/${second.id}`);
    expect([late.status, late.body.code]).toEqual([409, "DOCTOR_ALREADY_APPROVED"]);
    expect((await uploadDocument(app, doctor, id, "other", "more.pdf", PDF_BYTES)).status).toBe(409);
  });

  it("a removal racing an approval: either the approval sees the document, or it is refused", async () => {
    for (let round = 0; round < 8; round++) {
      const doctor = await pendingDoctor();
      const only = await readJson(await uploadDocument(app, doctor, doctor.doctorId!, "registration", "gmc.pdf", PDF_BYTES), doctorDocumentSchema);
      const [approved, removed] = await Promise.all([
        call(app, admin, "POST", `/doctors/${doctor.doctorId}/approve`),
        request(app, doctor, "DELETE", `/doctor-documents/${only.id}`),
      ]);
      expect(["200/409", "422/204"]).toContain(`${approved.status}/${removed.status}`);
      const [state] = await query<{ approval_status: string; documents: number }>(
        app,
        "select approval_status, (select count(*)::int from doctor_document where doctor_id = d.id) as documents from doctor d where id = ?",
        [doctor.doctorId],
      );
      expect(state).toEqual(approved.status === 200 ? { approval_status: "approved", documents: 1 } : { approval_status: "pending", documents: 0 });
    }
  });
});
