/**
 * The console: restores the session from the refresh cookie, asks for a sign-in otherwise,
 * refuses non-staff accounts (and an account demoted while signed in), and shows the page the
 * hash names.
 */
import { useEffect, useState } from 'preact/hooks';
import { AuditPage } from './audit';
import { BlacklistPage } from './blacklist';
import { GroupPage, GroupsPage } from './groups';
import { MenuPage } from './menu';
import { useRoute, type Route } from './router';
import { onRefused, onSessionEnded, restore, signOut, staffCheck } from './session';
import { SignIn } from './signin';
import { UserPage } from './user';
import { UsersPage } from './users';

type State = 'starting' | 'signed-out' | 'refused' | 'in';

export const REFUSED = 'This account cannot use the admin.';

export function App() {
  const [state, setState] = useState<State>('starting');
  const [notice, setNotice] = useState('');

  /** Anyone but staff is refused and signed out again (the refresh blacklisted). */
  const refuse = async () => {
    await signOut().catch(() => undefined);
    setState('refused');
  };

  /** Staff only: the admin API answers 403 to anyone else. */
  const admit = async () => {
    try {
      if (await staffCheck()) setState('in');
      else await refuse();
    } catch {
      setState('signed-out');
    }
  };

  useEffect(() => {
    restore().then((ok) => (ok ? admit() : setState('signed-out')));
    const offEnded = onSessionEnded(() => {
      setNotice('Your session has ended: sign in again.');
      setState('signed-out');
    });
    // Demoted while signed in: an admin call's 403, confirmed by the staff check.
    const offRefused = onRefused(() => void refuse());
    return () => {
      offEnded();
      offRefused();
    };
  }, []);

  switch (state) {
    case 'starting':
      return (
        <main id="main">
          <p role="status">Loading…</p>
        </main>
      );
    case 'signed-out':
      return (
        <SignIn
          notice={notice}
          onSignedIn={() => {
            setNotice('');
            setState('starting');
            void admit();
          }}
        />
      );
    case 'refused':
      return (
        <main id="main" class="refused">
          <p role="alert">{REFUSED}</p>
        </main>
      );
    case 'in':
      return (
        <Console
          onSignOut={async () => {
            await signOut().catch(() => undefined);
            setNotice('');
            setState('signed-out');
          }}
        />
      );
  }
}

const NAV: readonly { readonly href: string; readonly label: string; readonly pages: readonly Route['page'][] }[] = [
  { href: '#/users', label: 'Users', pages: ['users', 'user'] },
  { href: '#/groups', label: 'Groups', pages: ['groups', 'group'] },
  { href: '#/menu', label: 'Menu items', pages: ['menu'] },
  { href: '#/audit', label: 'Audit log', pages: ['audit'] },
  { href: '#/blacklist', label: 'Blacklisted tokens', pages: ['blacklist'] },
];

function Console({ onSignOut }: { readonly onSignOut: () => void }) {
  const route = useRoute();
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.querySelector<HTMLElement>('main h1')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Little Lemon admin</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.href}>
                <a href={n.href} aria-current={n.pages.includes(route.page) ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="signout" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <Page route={route} />
    </>
  );
}

function Page({ route }: { readonly route: Route }) {
  switch (route.page) {
    case 'users':
      return <UsersPage />;
    case 'user':
      return <UserPage key={route.id} id={route.id} />;
    case 'groups':
      return <GroupsPage />;
    case 'group':
      return <GroupPage key={route.id} id={route.id} />;
    case 'menu':
      return <MenuPage />;
    case 'audit':
      return <AuditPage />;
    case 'blacklist':
      return <BlacklistPage />;
  }
}
