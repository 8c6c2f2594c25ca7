/**
 * Many new small files in one stream: one tar archive, piped over an SSH exec
 * channel to `tar -x` in the remote folder, holds each file under a temporary
 * name in its own folder (and a manifest of temporary and final names). A
 * small perl program on the server then links each temporary file to its
 * final name, which fails where a file exists, and unlinks it: every file
 * appears atomically, complete, and only where nothing was. On tens of
 * thousands of files this costs a few exec channels instead of five SFTP
 * round trips per file.
 *
 * Output, parsed by placementOf(): UNPACKED once tar succeeded, then one
 * letter per manifest entry. A server without a shell, tar or perl prints
 * less: what it did not report is placed over SFTP, or written one by one.
 * Whatever a killed batch leaves is a temporary file, removed by the next
 * sync like any other.
 */
import { pack as tarPack } from 'tar-stream';
import { shellQuote } from './find-listing.js';

export const UNPACKED = 'arx-unpacked\n';

/** Letters of the placement report. */
export const PLACED = '1';
/** The final name existed: the file appeared on the server during the sync (its temporary is removed). */
export const EXISTED = 'e';
/** Could not link (a filesystem without hard links, a permission): the temporary is left for an SFTP rename. */
export const NOT_PLACED = 'x';
/** A folder on the final name's way is a symbolic link: not placed, the temporary is removed. */
export const LINKED = 'l';

/**
 * Reads NUL-separated pairs (temporary, final) from the manifest named first
 * on its command line; relative to the current folder. Every folder on the
 * final name's way is checked (lstat) not to be a symbolic link just before
 * the link that places it.
 */
const PLACE_SCRIPT = [
  'open(my $m, "<", $ARGV[0]) or exit 3;',
  'local $/ = "\\0";',
  'sub linked { my @p = split(m{/}, $_[0]); pop @p; my $d = ""; for my $c (@p) { $d = $d eq "" ? $c : "$d/$c"; return 1 if -l $d } return 0 }',
  'while (defined(my $t = <$m>)) {',
  '  chomp $t; my $f = <$m>; last unless defined $f; chomp $f;',
  `  if (linked($f)) { unlink($t); print "${LINKED}" }`,
  `  elsif (link($t, $f)) { unlink($t); print "${PLACED}" }`,
  `  elsif ($!{EEXIST}) { unlink($t); print "${EXISTED}" }`,
  `  else { print "${NOT_PLACED}" }`,
  '}',
  'close($m); unlink($ARGV[0]);',
].join(' ');

/** Unpack the archive on standard input in `root`, then place its files as the manifest says. */
export function unpackCommand(root: string, manifest: string): string {
  return (
    `cd ${shellQuote(root)} && tar -x --no-same-owner --no-same-permissions -f - && printf '${UNPACKED.replace('\n', '\\n')}' && ` +
    `exec perl -e ${shellQuote(PLACE_SCRIPT)} ${shellQuote(manifest)}`
  );
}

export interface Placement {
  /** tar unpacked every temporary file. */
  unpacked: boolean;
  /** One letter per file, in order: as many as the server reported (fewer when perl did not run to the end). */
  letters: string;
}

const NOT_A_LETTER = new RegExp(`[^${PLACED}${EXISTED}${NOT_PLACED}${LINKED}]`, 'g');

export function placementOf(output: string): Placement {
  const at = output.indexOf(UNPACKED);
  if (at < 0) return { unpacked: false, letters: '' };
  return { unpacked: true, letters: output.slice(at + UNPACKED.length).replace(NOT_A_LETTER, '') };
}

/** The manifest: NUL-terminated temporary and final names, relative to the remote folder. */
export function manifestOf(pairs: readonly { temp: string; path: string }[]): Buffer {
  return Buffer.from(pairs.map((p) => `${p.temp}\0${p.path}\0`).join(''));
}

/**
 * The archive, in memory: a batch is bounded (a few megabytes), and one
 * buffer goes out in full-size SSH packets. Modes are 0666 before the
 * server's umask, as an SFTP create makes them; names that do not fit the
 * plain header get a pax header.
 */
export async function tarOf(entries: readonly { name: string; data: Buffer; mtimeMs: number }[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const e of entries) {
    pack.entry({ name: e.name, size: e.data.length, mode: 0o666, mtime: new Date(Math.floor(e.mtimeMs / 1000) * 1000), type: 'file' }, e.data);
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}
