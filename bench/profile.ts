/**
 * Summarises a V8 .cpuprofile (as `node --cpu-prof` writes it): the top functions by self
 * time and the time spent per package (node_modules/<name>, our src/, node's internals).
 * `tsx bench/profile.ts <file.cpuprofile> [top]`. Made by `BENCH_PROFILE=<dir> npm run bench`.
 */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/profile.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

function where(url: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.includes('/src/')) return 'ours: ' + url.slice(url.lastIndexOf('/src/') + 1);
  if (url.startsWith('node:')) return 'node';
  return url ? url : '(native / gc / idle)';
}
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const selfByFn = new Map<string, number>();
const selfByPkg = new Map<string, number>();
const inclusiveByPkg = new Map<string, number>();
const inclusiveByFn = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id) as Node;
  selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + us);
  const pkg = where(n.callFrame.url).replace(/^ours: .*/, 'ours (src/)');
  selfByPkg.set(pkg, (selfByPkg.get(pkg) ?? 0) + us);
  // inclusive: every package on the stack once
  const seen = new Set<string>();
  const seenFn = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const node = byId.get(cur) as Node;
    const p = where(node.callFrame.url).replace(/^ours: .*/, 'ours (src/)');
    if (!seen.has(p)) {
      seen.add(p);
      inclusiveByPkg.set(p, (inclusiveByPkg.get(p) ?? 0) + us);
    }
    const fn = label(node);
    if (!seenFn.has(fn)) {
      seenFn.add(fn);
      inclusiveByFn.set(fn, (inclusiveByFn.get(fn) ?? 0) + us);
    }
  }
}
const pct = (us: number) => ((us / total) * 100).toFixed(1).padStart(5) + '%';
const show = (title: string, m: Map<string, number>, n: number) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${pct(v)}  ${k}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
show('self time by function', selfByFn, top);
show('self time by package', selfByPkg, 15);
show('inclusive time by package (on the stack)', inclusiveByPkg, 15);
show('inclusive time by function (on the stack)', inclusiveByFn, top);
