import { randomUUID } from "node:crypto";
import { defineEntity, p } from "@mikro-orm/core";
import { doctorDocumentKinds, doctorDocumentTypes } from "@clinic/shared";
import { Doctor } from "./doctor.entity";

/** A credential document a doctor uploaded for approval; its bytes are in the file store under its id. */
export const DoctorDocumentSchema = defineEntity({
  name: "DoctorDocument",
  tableName: "doctor_document",
  indexes: [{ properties: ["doctor", "uploadedAt"] }],
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    doctor: () => p.manyToOne(Doctor).deleteRule("cascade"),
    kind: p.enum(doctorDocumentKinds),
    fileName: p.text(),
    contentType: p.enum(doctorDocumentTypes),
    sizeBytes: p.integer(),
    sha256: p.string().length(64),
    uploadedAt: p.datetime().defaultRaw("now()").onCreate(() => new Date()),
  },
});
export class DoctorDocument extends DoctorDocumentSchema.class {}
DoctorDocumentSchema.setClass(DoctorDocument);
