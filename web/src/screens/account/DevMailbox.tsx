/**
 * /dev/mailbox: the email the development mailbox caught (docs/web-account.md), newest first, so a
 * sign-up's code can be read with no email provider. Only there outside production with no SMTP_URL;
 * elsewhere the API answers 404 and the page says so. Reloads every few seconds while open.
 */
import { useEffect, useId } from "react";
import { devMailboxSchema } from "@clinic/shared";
import { Async } from "../../components/States";
import { api, ApiError } from "../../lib/api";
import { formatDateTime } from "../../lib/format";
import { Link } from "../../lib/router";
import { useLoad } from "../../lib/useLoad";

const RELOAD_MS = 3_000;
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The mailbox, or null where there is none (404: production, or an email provider is set). */
async function loadMailbox(signal?: AbortSignal) {
  try {
    return await api("/dev/mailbox", { auth: false, schema: devMailboxSchema, signal });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export function DevMailbox() {
  const id = useId();
  const { state, reload } = useLoad(["dev-mailbox"], loadMailbox);
  useEffect(() => {
    const timer = setInterval(() => void reload(), RELOAD_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const off = state.data === null;

  return (
    <section className="panel dev-mailbox" aria-labelledby={`${id}-heading`}>
      <h1 id={`${id}-heading`}>Development mailbox</h1>
      {off ? (
        <p>The development mailbox is off: it runs only outside production when no email provider (SMTP_URL) is set.</p>
      ) : (
        <>
          <p>Email this server sent while no email provider is set, newest first. It updates by itself.</p>
          <Async state={state} retry={() => void reload()} isEmpty={(mailbox) => !mailbox?.items.length} empty="No email yet.">
            {(mailbox) => (
              <ol className="dev-mailbox-list">
                {(mailbox?.items ?? []).map((item) => (
                  <li key={`${item.at}-${item.to}-${item.subject}`}>
                    <article aria-label={`${item.subject} to ${item.to}`}>
                      <h2>{item.subject || "(no subject)"}</h2>
                      <p className="dev-mailbox-meta">
                        To <strong className="mono">{item.to}</strong> · <time dateTime={item.at}>{formatDateTime(item.at, browserZone)}</time>
                      </p>
                      <pre className="dev-mailbox-text">{item.text}</pre>
                    </article>
                  </li>
                ))}
              </ol>
            )}
          </Async>
        </>
      )}
      <p className="account-links"><Link to="/sign-in">Back to sign in</Link></p>
    </section>
  );
}

/** "Read the code in the development mailbox", shown only where that mailbox answers (development). */
export function DevMailboxLink() {
  const { state } = useLoad(["dev-mailbox-available"], loadMailbox);
  if (!state.data) return null;
  return (
    <p className="dev-mailbox-hint">
      No email provider is set up here: <Link to="/dev/mailbox">open the development mailbox</Link> to read the code.
    </p>
  );
}
