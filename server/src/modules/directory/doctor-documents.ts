/**
 * Doctors' credential documents (docs/directory.md "Credential documents"): PDFs and images a doctor
 * uploads for approval, kept in the file store by id, listed and read by the doctor and platform
 * admins. A file is accepted by its first bytes, not by the type its sender claims. Approval needs
 * at least one; while approval is decided the doctor's row is locked, so a document cannot be
 * removed under a reviewer's approval.
 */
import { createHash } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import {
  DOCTOR_DOCUMENT_LIMIT,
  type DoctorDocumentKind,
  type DoctorDocumentType,
  type DoctorDocumentView,
} from "@clinic/shared";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { conflict, invalid, notFound } from "../../platform/errors";
import type { FileStore } from "../../platform/storage";
import { writeTransaction } from "../../platform/transactions";
import { DoctorDocument } from "./doctor-document.entity";

/** The first bytes of each accepted type. */
const SIGNATURES: Record<DoctorDocumentType, number[]> = {
  "application/pdf": [0x25, 0x50, 0x44, 0x46, 0x2d], // %PDF-
  "image/png": [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  "image/jpeg": [0xff, 0xd8, 0xff],
};

export const isDocumentType = (type: string): type is DoctorDocumentType => type in SIGNATURES;

const startsWith = (bytes: Buffer, signature: number[]) => signature.every((byte, index) => bytes[index] === byte);

export function documentView(document: DoctorDocument): DoctorDocumentView {
  return {
    id: document.id,
    doctorId: document.doctor.id,
    kind: document.kind,
    fileName: document.fileName,
    contentType: document.contentType,
    sizeBytes: document.sizeBytes,
    uploadedAt: document.uploadedAt.toISOString(),
  };
}

/** Locks the doctor's row (approval and document changes take turns) and answers its approval status. */
async function lockDoctor(tx: EntityManager, doctorId: string): Promise<string> {
  const [row] = await tx.execute<{ approval_status: string }[]>(`select approval_status from doctor where id = ? for update`, [doctorId]);
  if (!row) throw notFound("Doctor");
  return row.approval_status;
}

export async function uploadDocument(
  em: EntityManager,
  files: FileStore,
  actor: AuditActor,
  doctorId: string,
  upload: { kind: DoctorDocumentKind; fileName: string; contentType: DoctorDocumentType; bytes: Buffer },
): Promise<DoctorDocumentView> {
  if (!startsWith(upload.bytes, SIGNATURES[upload.contentType])) {
    throw invalid("body", `the file is not a ${upload.contentType === "application/pdf" ? "PDF" : upload.contentType === "image/png" ? "PNG image" : "JPEG image"} (its first bytes say otherwise)`);
  }
  const sha256 = createHash("sha256").update(upload.bytes).digest("hex");
  return writeTransaction(em, async (tx) => {
    if ((await lockDoctor(tx, doctorId)) === "approved") throw conflict("DOCTOR_ALREADY_APPROVED");
    if ((await tx.count(DoctorDocument, { doctor: doctorId })) >= DOCTOR_DOCUMENT_LIMIT) throw conflict("DOCUMENT_LIMIT", { limit: DOCTOR_DOCUMENT_LIMIT });
    const document = tx.create(DoctorDocument, {
      doctor: doctorId,
      kind: upload.kind,
      fileName: upload.fileName,
      contentType: upload.contentType,
      sizeBytes: upload.bytes.length,
      sha256,
    });
    await tx.flush();
    // Stored before the row commits: a failed write leaves no row; a failed commit leaves an orphan file, never a row without bytes.
    await files.put(document.id, upload.bytes);
    const view = documentView(document);
    recordAudit(tx, actor, { action: "doctor.document.upload", entityType: "Doctor", entityId: doctorId, after: { ...view, sha256 } });
    return view;
  });
}

export async function listDocuments(em: EntityManager, doctorId: string): Promise<DoctorDocumentView[]> {
  const documents = await em.find(DoctorDocument, { doctor: doctorId }, { orderBy: { uploadedAt: "asc", id: "asc" } });
  return documents.map(documentView);
}

export async function findDocument(em: EntityManager, documentId: string): Promise<DoctorDocument> {
  const document = await em.findOne(DoctorDocument, documentId);
  if (!document) throw notFound("Document");
  return document;
}

/** The bytes of a document; a reviewer's read (anyone but the doctor) is audited. */
export async function readDocument(em: EntityManager, files: FileStore, actor: AuditActor, document: DoctorDocument, byOwner: boolean): Promise<Buffer> {
  const bytes = await files.get(document.id);
  if (!bytes) throw notFound("Document file");
  if (!byOwner) {
    await writeTransaction(em, async (tx) => {
      recordAudit(tx, actor, { action: "doctor.document.read", entityType: "Doctor", entityId: document.doctor.id, after: { documentId: document.id } });
    });
  }
  return bytes;
}

/** The doctor removes one before approval (after it, the documents stay as approved). */
export async function deleteDocument(em: EntityManager, files: FileStore, actor: AuditActor, document: DoctorDocument): Promise<void> {
  const doctorId = document.doctor.id;
  await writeTransaction(em, async (tx) => {
    if ((await lockDoctor(tx, doctorId)) === "approved") throw conflict("DOCTOR_ALREADY_APPROVED");
    const removed = await tx.nativeDelete(DoctorDocument, { id: document.id });
    if (removed === 0) throw notFound("Document");
    recordAudit(tx, actor, { action: "doctor.document.delete", entityType: "Doctor", entityId: doctorId, before: documentView(document) });
  });
  await files.delete(document.id);
}

/** For approval: the doctor's row locked, and whether they have any document. */
export async function hasDocumentsLocked(tx: EntityManager, doctorId: string): Promise<boolean> {
  await lockDoctor(tx, doctorId);
  return (await tx.count(DoctorDocument, { doctor: doctorId })) > 0;
}
