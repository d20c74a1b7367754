/** Hash routing: #/users, #/users/5, #/groups, #/groups/3, #/menu, #/audit, #/blacklist (#/users when empty or unknown). */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { readonly page: 'users' }
  | { readonly page: 'user'; readonly id: number }
  | { readonly page: 'groups' }
  | { readonly page: 'group'; readonly id: number }
  | { readonly page: 'menu' }
  | { readonly page: 'audit' }
  | { readonly page: 'blacklist' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const id = parts[1] !== undefined && /^[1-9][0-9]{0,9}$/.test(parts[1]) ? Number(parts[1]) : null;
  switch (parts[0]) {
    case 'users':
      return id === null ? { page: 'users' } : { page: 'user', id };
    case 'groups':
      return id === null ? { page: 'groups' } : { page: 'group', id };
    case 'menu':
      return { page: 'menu' };
    case 'audit':
      return { page: 'audit' };
    case 'blacklist':
      return { page: 'blacklist' };
    default:
      return { page: 'users' };
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
