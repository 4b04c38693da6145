import { useEffect } from "react";
import { Display } from "./screens/Display";
import { DisplayTokens } from "./screens/DisplayTokens";
import { Shell } from "./screens/Shell";
import { SignIn } from "./screens/SignIn";
import { SystemStatus } from "./screens/Status";
import { navigate, usePath } from "./lib/router";
import { useSession, type Session } from "./lib/session";

function Home({ session }: { session: Session }) {
  return (
    <>
      <section className="panel" aria-labelledby="welcome-heading">
        <h1 id="welcome-heading">Welcome, {session.user.displayName}</h1>
        <p>Signed in as <strong>{session.user.role.replace("_", " ")}</strong>.</p>
      </section>
      <SystemStatus />
    </>
  );
}

function NotFound() {
  return (
    <section className="panel">
      <h1>Page not found</h1>
      <p>There is no screen at this address.</p>
    </section>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

export function App() {
  const path = usePath();
  const session = useSession();

  // The display runs unattended with its own token: no shell, no sign-in.
  if (path === "/display") return <Display />;

  if (!session) {
    if (path !== "/sign-in") return <Redirect to="/sign-in" />;
    return (
      <>
        <header className="site-header">
          <div className="container header-row">
            <p className="brand">Clinic Live</p>
          </div>
        </header>
        <main id="main" className="container">
          <SignIn />
          <SystemStatus />
        </main>
      </>
    );
  }

  if (path === "/sign-in") return <Redirect to="/" />;
  const page =
    path === "/" ? <Home session={session} />
    : path === "/admin/screens" && session.user.role === "clinic_admin" ? <DisplayTokens session={session} />
    : <NotFound />;
  return <Shell session={session}>{page}</Shell>;
}
