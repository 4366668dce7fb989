const splitLines = (s: string): string[] => {
  const lines = s.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
};

/**
 * A unified diff (3 lines of context) of two texts; empty when they are equal. Line-level LCS;
 * beyond a few million cells it degrades to one hunk replacing everything.
 */
export function unifiedDiff(a: string, b: string, labels: { from: string; to: string } = { from: 'a', to: 'b' }, context = 3): string {
  if (a === b) return '';
  const x = splitLines(a);
  const y = splitLines(b);
  type Op = { t: ' ' | '-' | '+'; s: string };
  const ops: Op[] = [];
  let pre = 0;
  while (pre < x.length && pre < y.length && x[pre] === y[pre]) pre++;
  let suf = 0;
  while (suf < x.length - pre && suf < y.length - pre && x[x.length - 1 - suf] === y[y.length - 1 - suf]) suf++;
  for (let i = 0; i < pre; i++) ops.push({ t: ' ', s: x[i]! });
  const xs = x.slice(pre, x.length - suf);
  const ys = y.slice(pre, y.length - suf);
  const n = xs.length;
  const m = ys.length;
  if (n * m > 4_000_000) {
    for (const s of xs) ops.push({ t: '-', s });
    for (const s of ys) ops.push({ t: '+', s });
  } else {
    // lcs[i][j] = LCS length of xs[i..] and ys[j..]
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--) lcs[i]![j] = xs[i] === ys[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && xs[i] === ys[j]) {
        ops.push({ t: ' ', s: xs[i]! });
        i++;
        j++;
      } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
        ops.push({ t: '+', s: ys[j++]! });
      } else {
        ops.push({ t: '-', s: xs[i++]! });
      }
    }
    // Deletions before insertions within a change block, as diff(1) prints them.
    for (let k = 0; k < ops.length;) {
      if (ops[k]!.t === ' ') {
        k++;
        continue;
      }
      let e = k;
      while (e < ops.length && ops[e]!.t !== ' ') e++;
      const block = ops.slice(k, e);
      ops.splice(k, e - k, ...block.filter((o) => o.t === '-'), ...block.filter((o) => o.t === '+'));
      k = e;
    }
  }
  for (let i = x.length - suf; i < x.length; i++) ops.push({ t: ' ', s: x[i]! });

  // Group into hunks.
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  const changed = ops.map((o, k) => (o.t !== ' ' ? k : -1)).filter((k) => k >= 0);
  let h = 0;
  while (h < changed.length) {
    const start = Math.max(0, changed[h]! - context);
    let end = Math.min(ops.length, changed[h]! + context + 1);
    let next = h + 1;
    while (next < changed.length && changed[next]! - context <= end) {
      end = Math.min(ops.length, changed[next]! + context + 1);
      next++;
    }
    // Line numbers at the hunk start.
    let oa = 1;
    let ob = 1;
    for (let k = 0; k < start; k++) {
      if (ops[k]!.t !== '+') oa++;
      if (ops[k]!.t !== '-') ob++;
    }
    const slice = ops.slice(start, end);
    const la = slice.filter((o) => o.t !== '+').length;
    const lb = slice.filter((o) => o.t !== '-').length;
    const range = (start: number, len: number) => (len === 1 ? `${start}` : `${len === 0 ? start - 1 : start},${len}`);
    out.push(`@@ -${range(oa, la)} +${range(ob, lb)} @@`);
    for (const o of slice) out.push(`${o.t}${o.s}`);
    h = next;
  }
  return out.join('\n');
}
