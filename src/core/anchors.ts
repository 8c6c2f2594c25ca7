/**
 * The project file (arxfile.json) holds the project's identity and settings;
 * without it the folder is no longer a project. A sync never deletes it from
 * the project folder: a deletion on the remote is undone by uploading it again.
 */
import type { Action } from './reconcile.js';

export function keepProjectFile(actions: Action[], projectFile: string): Action[] {
  return actions.map((a) =>
    a.path === projectFile && a.type === 'delete' && a.to === 'local'
      ? { path: a.path, type: 'copy', to: 'remote', kind: 'file', reason: 'deleted on remote, but a sync never deletes the project file: restored on the remote' }
      : a,
  );
}
