import { Suspense, useEffect, useMemo } from "react";
import { matchRoutes, useParams, useRoutes, type RouteObject } from "react-router";
import { Loading } from "./components/States";
import { Shell } from "./screens/Shell";
import { SignIn } from "./screens/SignIn";
import { Home } from "./screens/Home";
import { SystemStatus } from "./screens/Status";
import { allows, type PublicRoute, type ScreenRoute } from "./lib/routes";
import { lazyScreen } from "./lib/lazy";
import { navigate, usePath } from "./lib/router";
import { publicRoutes, screenRoutes } from "./screens/routes";
import { useSession, type Session } from "./lib/session";

// The waiting-room screen (and its QR code library) is its own chunk: no person's session loads it.
const Display = lazyScreen(() => import("./screens/Display"), (m) => m.Display);

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

/** A route's screen with its path parameters (":doctorId"). */
function ScreenOf({ route, session }: { route: ScreenRoute; session: Session }) {
  const params = useParams() as Record<string, string>;
  return route.render({ session, params });
}

function PublicScreen({ route }: { route: PublicRoute }) {
  const params = useParams() as Record<string, string>;
  return route.render({ params });
}

/** The signed-out pages: the public screens (register, verify, reset), else the sign-in form. */
function SignedOut() {
  const path = usePath();
  const routes = useMemo<RouteObject[]>(
    () => [
      ...publicRoutes.map((route) => ({ path: route.path, element: <PublicScreen route={route} /> })),
      { path: "/sign-in", element: (<><SignIn /><SystemStatus /></>) },
      { path: "*", element: <Redirect to="/sign-in" /> },
    ],
    [],
  );
  const page = useRoutes(routes);
  // Any other address only redirects to the sign-in form: nothing to frame.
  const framed = path === "/sign-in" || publicRoutes.some((route) => matchRoutes([{ path: route.path }], path));
  if (!framed) return page;
  return (
    <>
      <header className="site-header">
        <div className="container header-row">
          <p className="brand">Clinic Live</p>
        </div>
      </header>
      <main id="main" className="container">
        <Suspense fallback={<Loading label="Opening…" />}>{page}</Suspense>
      </main>
    </>
  );
}

/** The signed-in app: the home, the screens the role may open, "page not found" for the rest. */
function SignedIn({ session }: { session: Session }) {
  const path = usePath();
  const allowed = useMemo(() => screenRoutes.filter((route) => allows(route, session.user.role)), [session.user.role]);
  const routes = useMemo<RouteObject[]>(
    () => [
      { path: "/", element: <Home session={session} /> },
      { path: "/sign-in", element: <Redirect to="/" /> },
      ...allowed.map((route) => ({ path: route.path, element: <ScreenOf route={route} session={session} /> })),
      { path: "*", element: <NotFound /> },
    ],
    [allowed, session],
  );
  const page = useRoutes(routes);
  if (path === "/sign-in") return page;
  const wide = allowed.some((route) => route.wide && matchRoutes([{ path: route.path }], path));
  // An area's screens arrive in their own chunk the first time one opens (lib/lazy.ts).
  return (
    <Shell session={session} wide={wide}>
      <Suspense fallback={<Loading label="Opening…" />}>{page}</Suspense>
    </Shell>
  );
}

export function App() {
  const path = usePath();
  const session = useSession();
  // The display runs unattended with its own token: no shell, no sign-in.
  if (path === "/display") {
    return (
      <Suspense fallback={<Loading label="Opening…" />}>
        <Display />
      </Suspense>
    );
  }
  return session ? <SignedIn session={session} /> : <SignedOut />;
}
