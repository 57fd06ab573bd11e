/** The human half of a load's progress log line (the details go in the JSON fields). */
import type { LoadProgress } from './remote-loader.js';

const short = (version: string | undefined) => (version ? version.slice(0, 12) : '?');

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function progressLine(progress: LoadProgress): string {
  const { remote, ms } = progress;
  switch (progress.stage) {
    case 'resolved':
      return `${remote}: version ${short(progress.version)} found (${ms} ms)`;
    case 'downloaded':
      return `${remote}: downloaded ${progress.files} files, ${size(progress.bytes)} (${ms} ms)`;
    case 'cached':
      return `${remote}: ${short(progress.version)} already downloaded (${ms} ms)`;
    case 'evaluated':
      return `${remote}: ${short(progress.version)} evaluated (${ms} ms)`;
    case 'waiting':
      return `${remote}: still ${progress.on === 'resolve' ? 'asking the source for the version' : progress.on === 'download' ? `downloading ${short(progress.version)}` : `evaluating ${short(progress.version)}`} (${(ms / 1000).toFixed(1)} s)`;
  }
}
