import { Suspense, useEffect } from "react";
import { Loading } from "./components/States";
import { Display } from "./screens/Display";
import { Shell } from "./screens/Shell";
import { SignIn } from "./screens/SignIn";
import { Home } from "./screens/Home";
import { SystemStatus } from "./screens/Status";
import { allows } from "./lib/routes";
import { matchPath, navigate, usePath } from "./lib/router";
import { publicRoutes, screenRoutes } from "./screens/routes";
import { useSession } from "./lib/session";

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

function findRoute<R extends { path: string }>(routes: readonly R[], path: string) {
  for (const route of routes) {
    const params = matchPath(route.path, path);
    if (params) return { route, params };
  }
  return null;
}

export function App() {
  const path = usePath();
  const session = useSession();

  // The display runs unattended with its own token: no shell, no sign-in.
  if (path === "/display") return <Display />;

  if (!session) {
    const open = findRoute(publicRoutes, path);
    if (!open && path !== "/sign-in") return <Redirect to="/sign-in" />;
    return (
      <>
        <header className="site-header">
          <div className="container header-row">
            <p className="brand">Clinic Live</p>
          </div>
        </header>
        <main id="main" className="container">
          {open ? open.route.render({ params: open.params }) : (
            <>
              <SignIn />
              <SystemStatus />
            </>
          )}
        </main>
      </>
    );
  }

  if (path === "/sign-in") return <Redirect to="/" />;
  const found = findRoute(screenRoutes.filter((route) => allows(route, session.user.role)), path);
  const page =
    path === "/" ? <Home session={session} />
    : found ? found.route.render({ session, params: found.params })
    : <NotFound />;
  // An area's screens arrive in their own chunk the first time one opens (lib/lazy.ts).
  return (
    <Shell session={session} wide={found?.route.wide ?? false}>
      <Suspense fallback={<Loading label="Opening…" />}>{page}</Suspense>
    </Shell>
  );
}
