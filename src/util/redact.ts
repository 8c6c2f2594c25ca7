/**
 * The one place that decides what of a URL or a secret may be shown.
 *
 * Every URL keeps its scheme, host and path; its user-info becomes `***`, and
 * so does the value of every query parameter whose name looks like a
 * credential, and any fragment. A webhook URL shows nothing after its host
 * (`https://host/***`): chat webhooks carry their token in the path.
 *
 * Free text (error messages, warnings, command output) gets the same for
 * every URL in it (a webhook arx knows of, noted with noteWebhook, shown as a
 * webhook), and every secret value arx holds (noteSecret) replaced by `***`.
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

interface UrlParts {
  scheme: string;
  /** The host and port, user-info already masked. */
  host: string;
  path: string;
  /** Without its `?`; undefined when there is none. */
  query?: string;
  hasFragment: boolean;
}

/** Split a URL as written (not normalised: the path is shown as it was given). */
function parts(url: string): UrlParts | undefined {
  const m = /^([a-z][a-z0-9+.-]*:)\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(#.*)?$/is.exec(url.trim());
  if (!m) return undefined;
  const authority = m[2]!;
  const at = authority.lastIndexOf('@');
  return { scheme: m[1]!, host: at >= 0 ? `${MASK}@${authority.slice(at + 1)}` : authority, path: m[3]!, ...(m[4] !== undefined ? { query: m[4] } : {}), hasFragment: m[5] !== undefined };
}

/** Any URL as it may be shown (see the file comment); text that is not a URL becomes `***`. */
export function redactUrl(url: string): string {
  const p = parts(url);
  if (!p) return MASK;
  return `${p.scheme}//${p.host}${p.path}${p.query !== undefined ? `?${maskQuery(p.query)}` : ''}${p.hasFragment ? `#${MASK}` : ''}`;
}

/** A webhook URL as it may be shown: scheme and host only. */
export function redactWebhookUrl(url: string): string {
  const p = parts(url);
  return p ? `${p.scheme}//${p.host}/${MASK}` : MASK;
}

/** Where the webhooks arx knows of point: lower-case host (without user-info) and path. */
const webhooks = new Set<string>();

function placeOf(p: UrlParts): string {
  return `${p.host.slice(p.host.lastIndexOf('@') + 1).toLowerCase()}${p.path}`;
}

/** A webhook URL: its credentials are secrets, and wherever it appears in text it is shown as redactWebhookUrl shows it. */
export function noteWebhook(url: string | undefined): void {
  if (url === undefined) return;
  noteUrlSecrets(url);
  const p = parts(url);
  if (!p) return;
  webhooks.add(placeOf(p));
  noteSecret(p.path);
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
    const p = parts(url);
    return (p && webhooks.has(placeOf(p)) ? redactWebhookUrl(url) : redactUrl(url)) + tail;
  });
  // Longest first, so a secret that contains another is masked whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}
