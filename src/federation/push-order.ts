/**
 * Whether a pushed commit may replace the running version. A push webhook is
 * signed, but its signature covers only the body, so a captured push can be sent
 * again at any time (with a new delivery id): the host never lets a push move a
 * remote back. It asks the source (GitHub's compare API) how the pushed commit
 * relates to the running one, which needs no memory of past deliveries and so
 * holds across restarts and in every worker of a cluster.
 *
 * - newer (`ahead`): deployed. A push that is not forced and moved the branch from the
 *   running version is newer by git's own rule (GitHub marks every push that is not a
 *   fast-forward as forced), so it is deployed without asking;
 * - older (`behind`), or on another line (`diverged`): ignored;
 * - a force push (`forced: true`) is deployed whatever its commit, when the commit it
 *   replaced (`before`) is the running version or newer than it: a force push that
 *   replaced something older than what runs is a stale one sent again;
 * - after a rollback, the push must also be newer than the version rolled back from;
 * - when the source cannot tell (GitHub unreachable, an unknown commit), ignored: a
 *   replayed old commit would load from the snapshot cache without GitHub, so
 *   deploying would be the unsafe choice. A manual reload or a poll deploys the branch.
 *
 * Rollbacks, manual reloads and polls never come here: they name no pushed commit.
 */
import type { CommitOrder, Source } from './sources/source.js';

/** A push to judge: the commit it names, the one it replaced on the branch, whether it was forced. */
export interface PushedVersion {
  version: string;
  replaces?: string;
  forced: boolean;
}

/** Undefined: deploy it. A string: why it is ignored. */
export type PushVerdict = string | undefined;

const short = (sha: string) => sha.slice(0, 12);

/**
 * Judges a push against the running version (`running`, null when nothing runs) and the
 * version a rollback left (`rolledBackFrom`). `signal` bounds the questions to the source.
 */
export async function judgePush(source: Source, push: PushedVersion, running: string | null, rolledBackFrom: string | undefined, signal: AbortSignal): Promise<PushVerdict> {
  if (running === null || !source.compare) return undefined;
  const compare = source.compare.bind(source);
  const ask = async (base: string, head: string): Promise<CommitOrder | Error> => {
    try {
      return await compare(base, head, signal);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  };
  const unknown = (error: Error) => `could not tell whether ${short(push.version)} is newer than the running ${short(running)} (${error.message}): not deployed; a manual reload deploys the branch`;

  // A fast-forward from the running version: the common push, answered without a round trip to the source.
  if (!push.forced && push.replaces === running && push.version !== running && (rolledBackFrom === undefined || rolledBackFrom === running)) return undefined;
  if (push.forced && push.replaces !== undefined) {
    if (push.replaces === running) return undefined;
    const order = await ask(running, push.replaces);
    if (order instanceof Error) return unknown(order);
    if (order === 'ahead' || order === 'identical') return undefined;
    return `a force push away from ${short(push.replaces)}, which is ${order === 'behind' ? 'older than' : 'on another line than'} the running ${short(running)}: a stale force push, not deployed`;
  }

  for (const [base, what] of [[running, 'the running'], ...(rolledBackFrom && rolledBackFrom !== running ? [[rolledBackFrom, 'the version a rollback left']] : [])] as const) {
    const order = await ask(base, push.version);
    if (order instanceof Error) return unknown(order);
    if (order === 'ahead') continue;
    if (order === 'identical') return `${short(push.version)} is ${what === 'the running' ? 'the running version' : what}: not deployed again`;
    if (order === 'behind') return `${short(push.version)} is older than ${what} ${short(base)} (an ancestor of it): a push never moves a remote back; roll back or force-push instead`;
    return `${short(push.version)} and ${what} ${short(base)} diverged (neither contains the other): only a force push or a manual reload deploys it`;
  }
  return undefined;
}
