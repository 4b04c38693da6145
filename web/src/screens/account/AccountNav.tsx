/** The account area's own tabs: security for everyone, notifications for everyone, profile for patients. */
import type { Session } from "../../lib/session";
import { Link } from "../../lib/router";

export function AccountNav({ session }: { session: Session }) {
  const tabs = [
    { to: "/account", label: "Security" },
    { to: "/account/notifications", label: "Notifications" },
    ...(session.user.role === "patient" ? [{ to: "/account/profile", label: "Profile" }] : []),
  ];
  return (
    <nav aria-label="Account" className="account-tabs">
      <ul>
        {tabs.map((tab) => (
          <li key={tab.to}><Link to={tab.to}>{tab.label}</Link></li>
        ))}
      </ul>
    </nav>
  );
}
