/**
 * Which remotes a GitHub push concerns: those whose source is that repository
 * and follows the pushed branch or tag (or, for evergreen remotes, any tag).
 */
import type { RemoteEntry } from '../config/remote-entries.js';

export interface PushEvent {
  /** `owner/repo` as GitHub spells it in `repository.full_name`. */
  repository: string;
  /** `refs/heads/<branch>` or `refs/tags/<tag>`. */
  ref: string;
  /** The commit the ref points at after the push (all zeros when the ref was deleted). */
  after: string;
  /** The commit the ref pointed at before the push (all zeros for a new ref). */
  before?: string;
  /** The push was a force push (`forced` in the payload): it may move the ref to an older commit. */
  forced?: boolean;
}

export interface PushTarget {
  remote: string;
  /** Load this commit; undefined: ask the source (evergreen remotes re-resolve their range). */
  version: string | undefined;
  /** The commit this push replaced on the branch: older than `version`, unless the push was forced. */
  replaces?: string;
  /** Set for a pushed commit: whether the push was a force push. */
  forced?: boolean;
}

const DELETED = /^0{40}$/;

export function pushTargets(entries: readonly RemoteEntry[], push: PushEvent): PushTarget[] {
  if (DELETED.test(push.after)) return [];
  const pushed = push.ref.replace(/^refs\/(heads|tags)\//, '');
  const isTag = push.ref.startsWith('refs/tags/');
  const targets: PushTarget[] = [];
  for (const entry of entries) {
    const source = entry.source;
    if (source.kind !== 'github') continue;
    if (`${source.owner}/${source.repo}`.toLowerCase() !== push.repository.toLowerCase()) continue;
    if (source.semver) {
      if (isTag) targets.push({ remote: entry.name, version: undefined });
    } else if (source.ref === pushed || source.ref === push.ref) {
      const replaces = push.before && !DELETED.test(push.before) ? push.before : undefined;
      targets.push({ remote: entry.name, version: push.after, forced: push.forced === true, ...(replaces ? { replaces } : {}) });
    }
  }
  return targets;
}
