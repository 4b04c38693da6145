/** A doctor's credential documents: upload (the file is the body), list, download, remove (docs/directory.md). */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { DOCTOR_DOCUMENT_MAX_BYTES, doctorDocumentListSchema, doctorDocumentSchema, idParams, uploadDocumentQuerySchema } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { actorOf } from "../../platform/audit";
import { invalid } from "../../platform/errors";
import { localDiskStore } from "../../platform/storage";
import { authorize, requireUser } from "../identity";
import { deleteDocument, findDocument, isDocumentType, listDocuments, readDocument, uploadDocument } from "./doctor-documents";

const tags = ["directory"];

/** `attachment; filename=…` that no name can break out of (RFC 6266: an ASCII fallback and the UTF-8 form). */
const disposition = (name: string) =>
  `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, "_")}"; filename*=UTF-8''${encodeURIComponent(name)}`;

export function doctorDocumentRoutes(ctx: ModuleContext): FastifyPluginAsync {
  const files = localDiskStore(ctx.config.files.dir);
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const em = () => ctx.orm.em.fork();
    // The file itself is the body: read whole as bytes (up to the limit; more is 413).
    app.addContentTypeParser(["application/pdf", "image/png", "image/jpeg"], { parseAs: "buffer", bodyLimit: DOCTOR_DOCUMENT_MAX_BYTES }, (_request, body, done) =>
      done(null, body),
    );

    app.post(
      "/doctors/:doctorId/documents",
      {
        bodyLimit: DOCTOR_DOCUMENT_MAX_BYTES,
        schema: {
          tags,
          summary: "Upload a credential document (the doctor): a PDF, PNG or JPEG of at most 5 MiB as the body, with its content type",
          params: idParams("doctorId"),
          querystring: uploadDocumentQuerySchema,
          response: { 201: doctorDocumentSchema },
        },
      },
      async (request, reply) => {
        const { doctorId } = request.params;
        authorize(requireUser(request), "doctor.credentials.submit", { doctorId });
        const contentType = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
        const bytes = request.body;
        if (!isDocumentType(contentType) || !Buffer.isBuffer(bytes)) throw invalid("body", "a PDF, PNG or JPEG file, sent with its content type");
        if (bytes.length === 0) throw invalid("body", "the file is empty");
        const document = await uploadDocument(em(), files, actorOf(request), doctorId, {
          kind: request.query.kind,
          fileName: request.query.name,
          contentType,
          bytes,
        });
        return reply.code(201).send(document);
      },
    );

    app.get(
      "/doctors/:doctorId/documents",
      {
        schema: {
          tags,
          summary: "A doctor's credential documents (the doctor, platform admins)",
          params: idParams("doctorId"),
          response: { 200: doctorDocumentListSchema },
        },
      },
      async (request) => {
        const { doctorId } = request.params;
        authorize(requireUser(request), "doctor.documents.read", { doctorId }, { hide: "Doctor" });
        return { items: await listDocuments(em(), doctorId) };
      },
    );

    app.get(
      "/doctor-documents/:documentId/file",
      {
        schema: {
          tags,
          summary: "A credential document's file, as uploaded (the doctor, platform admins; an admin's read is audited)",
          params: idParams("documentId"),
          response: { 200: z.any() },
        },
      },
      async (request, reply) => {
        const principal = requireUser(request);
        const manager = em();
        const document = await findDocument(manager, request.params.documentId);
        authorize(principal, "doctor.documents.read", { doctorId: document.doctor.id }, { hide: "Document" });
        const bytes = await readDocument(manager, files, actorOf(request), document, principal.doctorId === document.doctor.id);
        return reply
          .header("content-type", document.contentType)
          .header("content-disposition", disposition(document.fileName))
          .header("cache-control", "private, no-store")
          .send(bytes);
      },
    );

    app.delete(
      "/doctor-documents/:documentId",
      {
        schema: { tags, summary: "Remove a credential document before approval (the doctor)", params: idParams("documentId") },
      },
      async (request, reply) => {
        const manager = em();
        const document = await findDocument(manager, request.params.documentId);
        authorize(requireUser(request), "doctor.credentials.submit", { doctorId: document.doctor.id }, { hide: "Document" });
        await deleteDocument(manager, files, actorOf(request), document);
        return reply.code(204).send();
      },
    );
  };
}
