/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`) and says where the CPU time
 * of a time window went: self time per function, time per area (node core,
 * each package, microlib's own files, GC), and inclusive time of the
 * project's functions.
 */
import { readFile } from 'node:fs/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Entry {
  name: string;
  micros: number;
}

export interface ProfileSummary {
  /** CPU time in the window, idle excluded, in µs. */
  busyMicros: number;
  idleMicros: number;
  selfByFunction: Entry[];
  selfByArea: Entry[];
  /** Functions of the project (dist/src, dist/bench), time with everything they call. */
  inclusiveOwn: Entry[];
}

/** Short, stable place of a frame: `dist/src/...:line`, `express/lib/...:line` or `node:internal/...:line`. */
function placeOf(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '');
  const line = frame.lineNumber + 1;
  const nodeModules = url.lastIndexOf('/node_modules/');
  if (nodeModules !== -1) return `${url.slice(nodeModules + '/node_modules/'.length)}:${line}`;
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return `${url.slice(dist + 1)}:${line}`;
  return url ? `${url}:${line}` : '';
}

/** The area a frame belongs to, for the coarse split. */
function areaOf(frame: CallFrame): string {
  const name = frame.functionName;
  if (name === '(garbage collector)' || name === '(program)' || name === '(idle)') return name;
  const url = frame.url;
  // The write syscall, with the loopback delivery the kernel does inside it.
  if (name === 'writev' && url === '') return 'writev syscall (native)';
  // Ajv compiles validators with new Function: they have no script URL.
  if (/^validate\d+$/.test(name) && url === '') return 'package ajv (compiled validators)';
  const nodeModules = url.lastIndexOf('/node_modules/');
  if (nodeModules !== -1) {
    const parts = url.slice(nodeModules + '/node_modules/'.length).split('/');
    return `package ${parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  if (url.includes('/dist/src/')) return 'microlib (dist/src)';
  if (url.includes('/dist/bench/')) return 'bench baseline (dist/bench)';
  if (url.startsWith('node:')) return 'node core (JS)';
  // Builtins and natives without a script: JSON.parse, RegExp, Map.get, crypto...
  return 'V8 builtins and native';
}

function frameName(frame: CallFrame): string {
  const place = placeOf(frame);
  return `${frame.functionName || '(anonymous)'}${place ? ` ${place}` : ''}`;
}

function add(map: Map<string, number>, key: string, micros: number): void {
  map.set(key, (map.get(key) ?? 0) + micros);
}

function sorted(map: Map<string, number>): Entry[] {
  return [...map].map(([name, micros]) => ({ name, micros })).sort((a, b) => b.micros - a.micros);
}

/**
 * Summarises the samples taken between `fromMicros` and `toMicros` (the
 * profile's own clock: CLOCK_MONOTONIC in µs, the clock of process.hrtime).
 */
export async function summariseProfile(file: string, fromMicros: number, toMicros: number): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    // A sample stands for the interval up to the next one.
    const micros = profile.timeDeltas[i + 1] ?? 0;
    if (time < fromMicros || time > toMicros) continue;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    if (node.callFrame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    busy += micros;
    add(self, frameName(node.callFrame), micros);
    add(areas, areaOf(node.callFrame), micros);
    // Each own function once per sample, however deep the recursion.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parentOf.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (!frame.url.includes('/dist/src/') && !frame.url.includes('/dist/bench/')) continue;
      const name = frameName(frame);
      if (!seen.has(name)) {
        seen.add(name);
        add(inclusive, name, micros);
      }
    }
  }
  const window = toMicros - fromMicros;
  if (busy + idle < 0.8 * window) {
    throw new Error(`${file}: samples cover ${Math.round((busy + idle) / 1000)} ms of the ${Math.round(window / 1000)} ms window; the profile and process.hrtime clocks disagree`);
  }
  return { busyMicros: busy, idleMicros: idle, selfByFunction: sorted(self), selfByArea: sorted(areas), inclusiveOwn: sorted(inclusive) };
}
