/** /account: password, two-factor sign-in and the devices signed in to this account. */
import { sessionListSchema } from "@clinic/shared";
import { api } from "../../lib/api";
import type { Session } from "../../lib/session";
import { useLoad } from "../../lib/useLoad";
import { AccountNav } from "./AccountNav";
import { ChangePassword } from "./ChangePassword";
import { Sessions } from "./Sessions";
import { TwoFactor } from "./TwoFactor";

export function Security({ session }: { session: Session }) {
  const sessions = useLoad(["sessions"], async (signal) => (await api("/auth/sessions", { schema: sessionListSchema, signal })).items);
  return (
    <>
      <h1 className="account-title">Account</h1>
      <AccountNav session={session} />
      <ChangePassword onChanged={() => void sessions.reload()} />
      <TwoFactor session={session} />
      <Sessions list={sessions} />
    </>
  );
}
