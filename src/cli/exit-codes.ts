/** The documented exit codes (README "Exit codes"). Only the CLI uses them. */
import type { ErrorCategory } from '../errors.js';

export const EXIT = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  CONFLICTS: 3,
  COMMAND_FAILED: 4,
  REMOTE: 5,
  DENIED: 6,
  SAFETY: 7,
  /** Command chains that the local user has not approved (`arx trust`). */
  UNAPPROVED: 8,
  INTERRUPTED: 130,
} as const;

export function exitCodeFor(category: ErrorCategory): number {
  switch (category) {
    case 'usage':
    case 'config':
      return EXIT.USAGE;
    case 'conflict':
      return EXIT.CONFLICTS;
    case 'command':
      return EXIT.COMMAND_FAILED;
    case 'remote':
    case 'local':
    case 'network':
      return EXIT.REMOTE;
    case 'permission':
      return EXIT.DENIED;
    case 'safety':
    case 'lock':
      return EXIT.SAFETY;
    case 'untrusted':
      return EXIT.UNAPPROVED;
    case 'cancelled':
      return EXIT.INTERRUPTED;
    case 'internal':
      return EXIT.INTERNAL;
  }
}
