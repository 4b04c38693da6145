/** Credential documents as people see them: kind names, sizes, and opening one (the file needs the caller's token). */
import { useState } from "react";
import type { DoctorDocumentKind, DoctorDocumentView } from "@clinic/shared";
import { apiDownload } from "../lib/api";

export const DOCUMENT_KIND_NAMES: Record<DoctorDocumentKind, string> = {
  registration: "Registration certificate",
  qualification: "Qualification",
  identity: "Proof of identity",
  other: "Other",
};

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A button that fetches the file with the session's token and opens it in a new tab. */
export function DocumentLink({ document }: { document: DoctorDocumentView }) {
  const [failed, setFailed] = useState<string | null>(null);
  const open = async () => {
    setFailed(null);
    // The tab opens at once (a popup blocker allows that) and receives the file when it arrives.
    const tab = window.open("", "_blank");
    try {
      const blob = await apiDownload(`/doctor-documents/${document.id}/file`);
      const url = URL.createObjectURL(blob);
      if (tab) tab.location.href = url;
      else window.location.href = url;
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      tab?.close();
      setFailed(error instanceof Error ? error.message : "Could not open the document.");
    }
  };
  return (
    <>
      <button type="button" className="document-link" onClick={() => void open()}>{document.fileName}</button>
      {failed && <span role="alert" className="field-error"> {failed}</span>}
    </>
  );
}
