import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Summaries of a V8 `.cpuprofile` (as written by `node --cpu-prof`). */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  where: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  /** Top functions by self time (idle and GC included as their own lines). */
  functions: ProfileEntry[];
  /** Self time grouped by where the code lives: a package, the lab's own code, Node internals. */
  modules: ProfileEntry[];
  /** Self time charged to the nearest lab function (dist/...) on the stack. */
  labFunctions: ProfileEntry[];
  /** Inclusive time of lab functions (every sample with the function anywhere on its stack). */
  labInclusive: ProfileEntry[];
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) return url.slice(modules + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

function moduleOf(url: string): string {
  if (url === '') return '(native / V8)';
  if (url.startsWith('node:')) return 'node internals';
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return `lab: ${url.slice(dist + 1).split('/').slice(0, 3).join('/')}`;
  return url;
}

/** Read the newest `.cpuprofile` in `directory` and summarise it. */
export async function summariseProfileDir(directory: string, top = 15): Promise<ProfileSummary> {
  const files = (await readdir(directory)).filter((name) => name.endsWith('.cpuprofile')).sort();
  const file = files[files.length - 1];
  if (!file) throw new Error(`no .cpuprofile in ${directory}`);
  return summariseProfile(JSON.parse(await readFile(path.join(directory, file), 'utf8')) as CpuProfile, top);
}

export function summariseProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const totalUs = [...selfUs.values()].reduce((sum, value) => sum + value, 0);

  const functions = new Map<string, ProfileEntry>();
  const modules = new Map<string, ProfileEntry>();
  const lab = new Map<string, ProfileEntry>();
  const inclusive = new Map<string, ProfileEntry>();
  let idleUs = 0;
  const add = (map: Map<string, ProfileEntry>, key: string, name: string, where: string, us: number) => {
    const entry = map.get(key) ?? { name, where, selfMs: 0, percent: 0 };
    entry.selfMs += us / 1000;
    map.set(key, entry);
  };
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    if (name === '(idle)') idleUs += us;
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
    add(functions, `${name}@${where}`, name, where, us);
    add(modules, moduleOf(url) + (name.startsWith('(') && !url ? ` ${name}` : ''), moduleOf(url) + (name.startsWith('(') && !url ? ` ${name}` : ''), '', us);
    if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') continue;
    let cursor: number | undefined = id;
    let owner: ProfileNode | undefined;
    const seen = new Set<string>();
    while (cursor !== undefined) {
      const candidate = byId.get(cursor)!;
      if (candidate.callFrame.url.includes('/dist/')) {
        owner ??= candidate;
        const frameName = candidate.callFrame.functionName || '(anonymous)';
        const frameWhere = `${shortUrl(candidate.callFrame.url)}:${candidate.callFrame.lineNumber + 1}`;
        const key = `${frameName}@${frameWhere}`;
        if (!seen.has(key)) {
          seen.add(key);
          add(inclusive, key, frameName, frameWhere, us);
        }
      }
      cursor = parent.get(cursor);
    }
    if (owner) {
      const ownerName = owner.callFrame.functionName || '(anonymous)';
      const ownerWhere = `${shortUrl(owner.callFrame.url)}:${owner.callFrame.lineNumber + 1}`;
      add(lab, `${ownerName}@${ownerWhere}`, ownerName, ownerWhere, us);
    } else {
      add(lab, '(no lab frame on the stack)', '(no lab frame on the stack)', '', us);
    }
  }
  const finish = (map: Map<string, ProfileEntry>) =>
    [...map.values()]
      .map((entry) => ({ ...entry, percent: (100 * entry.selfMs * 1000) / totalUs }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top);
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, functions: finish(functions), modules: finish(modules), labFunctions: finish(lab), labInclusive: finish(inclusive) };
}

/** A Markdown table of entries. */
export function profileTable(entries: ProfileEntry[], busyMs: number): string {
  return [
    '| self ms | % of busy | function | where |',
    '| ---: | ---: | --- | --- |',
    ...entries
      .filter((entry) => entry.name !== '(idle)')
      .map((entry) => `| ${entry.selfMs.toFixed(0)} | ${((100 * entry.selfMs) / busyMs).toFixed(1)} | \`${entry.name}\` | ${entry.where ? `\`${entry.where}\`` : ''} |`),
  ].join('\n');
}
