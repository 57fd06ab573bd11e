// The caller's credential for this tab: an admin JWT when the host has AUTH_ENABLED, or the
// host's ADMIN_TOKEN for reloads. sessionStorage: asked once per tab, gone when the tab closes.
const KEY = 'microlib.token';

export function readToken(): string | undefined {
  return sessionStorage.getItem(KEY) || undefined;
}

export function saveToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}

/** Headers that carry the token, if any. */
export function authHeaders(): Record<string, string> {
  const token = readToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}
