/**
 * The one place that decides what of a URL or a secret may be shown.
 *
 * A URL keeps its scheme and host; its user-info becomes `***`. An http(s)
 * URL (a webhook) shows nothing after the host (`https://host/***`): chat
 * webhooks carry their token in the path. Other URLs (the remote's
 * `sftp://`) keep their path, and the value of every query parameter whose
 * name looks like a credential becomes `***`.
 *
 * Free text (error messages, warnings, command output) gets the same for
 * every URL in it, and every secret value arx holds (noted with noteSecret)
 * replaced by `***`.
 */

export const MASK = '***';

/** Query parameter names whose values are credentials. */
const SECRET_PARAM = /token|secret|key|sig|pass|pwd|auth|code|credential|session/i;

/** A URL inside text: scheme, `://`, then up to whitespace, quotes, brackets or a backslash. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>\\]+/gi;
/** Characters that end a sentence or a parenthesis rather than the URL. */
const TRAILING = /[).,;:!?\]]+$/;

/** Secret values (passwords, passphrases, URL credentials) this process holds. */
const secrets = new Set<string>();
/**
 * Shorter values are too likely to be ordinary words ("wrong") to be replaced
 * in text. (arx never puts a secret into a message; this is the safety net.)
 */
const MIN_SECRET_LENGTH = 8;

export function noteSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

/** Note the credentials a URL carries (user-info, credential-like query values), raw and decoded. */
export function noteUrlSecrets(url: string | undefined): void {
  if (url === undefined || !URL.canParse(url)) return;
  const u = new URL(url);
  for (const raw of [u.username, u.password]) {
    noteSecret(raw);
    noteSecret(safeDecode(raw));
  }
  for (const [k, v] of u.searchParams) if (SECRET_PARAM.test(k)) noteSecret(v);
  for (const part of u.search.slice(1).split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0 && SECRET_PARAM.test(part.slice(0, eq))) noteSecret(part.slice(eq + 1));
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** How a URL may be shown (see the file comment); text that is not a URL becomes `***`. */
export function redactUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:)\/\/([^/?#]*)(.*)$/is.exec(url.trim());
  if (!m) return MASK;
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const at = authority.lastIndexOf('@');
  const host = at >= 0 ? `${MASK}@${authority.slice(at + 1)}` : authority;
  if (/^https?:$/i.test(scheme)) return `${scheme}//${host}/${MASK}`;
  const hash = rest.indexOf('#');
  const beforeHash = hash >= 0 ? rest.slice(0, hash) : rest;
  const q = beforeHash.indexOf('?');
  const path = q >= 0 ? beforeHash.slice(0, q) : beforeHash;
  const query = q >= 0 ? `?${maskQuery(beforeHash.slice(q + 1))}` : '';
  return `${scheme}//${host}${path}${query}${hash >= 0 ? `#${MASK}` : ''}`;
}

function maskQuery(query: string): string {
  return query
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq > 0 && SECRET_PARAM.test(safeDecode(part.slice(0, eq))) ? `${part.slice(0, eq)}=${MASK}` : part;
    })
    .join('&');
}

/** Free text with every URL shown as redactUrl shows it and every noted secret masked. */
export function redactText(text: string): string {
  let out = text.replace(URL_IN_TEXT, (found) => {
    const tail = TRAILING.exec(found)?.[0] ?? '';
    const url = tail === '' ? found : found.slice(0, -tail.length);
    return redactUrl(url) + tail;
  });
  // Longest first, so a secret that contains another is masked whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}
