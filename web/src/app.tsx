import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, onUnauthorized } from './lib/api';
import { ApiError } from './lib/errors';
import { MeContext } from './lib/me';
import { allows, permissionLabels, type Permission } from './lib/permissions';
import { matchRoute, navigate, useHashPath } from './lib/router';
import { forgetKey, storedKey } from './lib/session';
import type { Me } from './lib/types';
import { ErrorBanner } from './components/ErrorBanner';
import { SignIn } from './pages/SignIn';
import { Dashboard } from './pages/Dashboard';
import { Archives } from './pages/Archives';
import { ArchiveDetail } from './pages/ArchiveDetail';
import { Queue } from './pages/Queue';
import { StatisticsPage } from './pages/Statistics';
import { Plugins } from './pages/Plugins';
import { Audit } from './pages/Audit';
import { ApiKeys } from './pages/ApiKeys';
import { Notifications } from './pages/Notifications';
import { ProviderDetail } from './pages/ProviderDetail';
import { Printers } from './pages/Printers';
import { SettingsPage } from './pages/Settings';

interface Screen {
  pattern: string;
  title: string;
  needs: Permission;
  nav?: string; // shown in the navigation under this label
  render: (params: Record<string, string>) => ComponentChildren;
}

const SCREENS: Screen[] = [
  { pattern: '/dashboard', title: 'Dashboard', nav: 'Dashboard', needs: 'printers:read', render: () => <Dashboard /> },
  { pattern: '/archives', title: 'Archives', nav: 'Archives', needs: 'archives:read', render: () => <Archives /> },
  { pattern: '/archives/:id', title: 'Archive', needs: 'archives:read', render: (p) => <ArchiveDetail id={Number(p.id)} /> },
  { pattern: '/queue', title: 'Queue', nav: 'Queue', needs: 'queue:read', render: () => <Queue /> },
  { pattern: '/statistics', title: 'Statistics', nav: 'Statistics', needs: 'statistics:read', render: () => <StatisticsPage /> },
  { pattern: '/plugins', title: 'Plugins', nav: 'Plugins', needs: 'settings:read', render: () => <Plugins /> },
  { pattern: '/audit', title: 'Audit log', nav: 'Audit', needs: 'admin', render: () => <Audit /> },
  { pattern: '/settings/printers', title: 'Printers', nav: 'Printers', needs: 'admin', render: () => <Printers /> },
  { pattern: '/settings/general', title: 'Settings', nav: 'General', needs: 'settings:read', render: () => <SettingsPage /> },
  { pattern: '/settings/api-keys', title: 'API Keys', nav: 'API Keys', needs: 'admin', render: () => <ApiKeys /> },
  {
    pattern: '/settings/notifications',
    title: 'Notifications',
    nav: 'Notifications',
    needs: 'settings:read',
    render: () => <Notifications />,
  },
  {
    pattern: '/settings/notifications/:id',
    title: 'Notification provider',
    needs: 'settings:read',
    render: (p) => <ProviderDetail id={Number(p.id)} />,
  },
];

function findScreen(path: string): { screen: Screen; params: Record<string, string> } | null {
  for (const screen of SCREENS) {
    const params = matchRoute(screen.pattern, path);
    if (params) return { screen, params };
  }
  return null;
}

export function App() {
  const path = useHashPath();
  const [me, setMe] = useState<Me | null>(null);
  const [starting, setStarting] = useState(storedKey() !== null);
  const [signInError, setSignInError] = useState<unknown>(null);

  // A key kept from earlier in this tab: check it is still good.
  useEffect(() => {
    if (!storedKey()) return;
    api<Me>('/auth/me', { quiet401: true })
      .then((m) => setMe(m))
      .catch((e) => {
        if (e instanceof ApiError && e.status === 401) forgetKey();
        setSignInError(e);
      })
      .finally(() => setStarting(false));
  }, []);

  // Any 401 later (the key was deleted, disabled or expired meanwhile) signs out with the reason.
  useEffect(
    () =>
      onUnauthorized((err) => {
        forgetKey();
        setMe(null);
        setSignInError(err);
      }),
    [],
  );

  useEffect(() => {
    const found = findScreen(path);
    document.title = found ? `${found.screen.title} · Bambuddy` : 'Bambuddy';
  }, [path]);

  if (starting) {
    return (
      <main class="signin" aria-busy="true">
        <p>Checking your key…</p>
      </main>
    );
  }
  if (!me) {
    return (
      <SignIn
        error={signInError}
        onSignedIn={(m) => {
          setSignInError(null);
          setMe(m);
          const first = SCREENS.find((s) => s.nav && allows(m.permissions, s.needs));
          const current = findScreen(path);
          if (!current || !allows(m.permissions, current.screen.needs)) navigate(first ? first.pattern : '/dashboard');
        }}
      />
    );
  }

  const found = findScreen(path);
  const navItems = SCREENS.filter((s) => s.nav && allows(me.permissions, s.needs));
  const main = !found ? (
    <NotFound />
  ) : !allows(me.permissions, found.screen.needs) ? (
    <NotAllowed needs={found.screen.needs} />
  ) : (
    found.screen.render(found.params)
  );
  const signOut = () => {
    forgetKey();
    setSignInError(null);
    setMe(null);
  };
  return (
    <MeContext.Provider value={me}>
      <a class="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="topbar">
        <div class="brand">Bambuddy</div>
        <nav aria-label="Main">
          <ul>
            {navItems.map((s) => {
              const current = found?.screen.pattern.startsWith(s.pattern) ?? false;
              return (
                <li key={s.pattern}>
                  <a href={`#${s.pattern}`} aria-current={current ? 'page' : undefined}>
                    {s.pattern.startsWith('/settings') ? <span class="nav-group">Settings › </span> : null}
                    {s.nav}
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
        <div class="whoami">
          <span title={permissionLabels(me.permissions).join(', ')}>
            Key: <strong>{me.name}</strong>
          </span>
          <button type="button" class="btn btn-small" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {main}
      </main>
    </MeContext.Provider>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no such screen. Go to the <a href="#/dashboard">dashboard</a>.
      </p>
    </section>
  );
}

function NotAllowed({ needs }: { needs: Permission }) {
  return (
    <section>
      <h1>Not allowed</h1>
      <ErrorBanner
        error={new ApiError(403, 'forbidden', `API key lacks permission '${needs}'`, { required: needs })}
      />
    </section>
  );
}
