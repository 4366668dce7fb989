import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeCounts, inspectTable, loadSnapshot, snapshotQuery, tableChanges } from '../../src/delta/index.js';
import { CORPUS, HAS_CORPUS, NO_CORPUS_MESSAGE, count, loadCatalog, openDuck, relspecErrorOf, rows, sqlPath } from './helpers.js';

/**
 * Conformance over the real tables in shared/delta-corpus (Spark, Databricks, delta-rs):
 * DAT expected results, catalog row counts per version, CDF counts per version, must-fail cases.
 * Every check is recorded; the summary is printed and written to CONFORMANCE.md.
 */

type Status = 'pass' | 'fail' | 'unsupported';
type Check =
  | 'DAT expected rows'
  | 'snapshot row count per version'
  | 'inspectTable at latest'
  | 'CDF counts per version'
  | 'CDF _commit_timestamp'
  | 'must fail with E_DELTA*';
const CHECKS: Check[] = [
  'DAT expected rows',
  'snapshot row count per version',
  'inspectTable at latest',
  'CDF counts per version',
  'CDF _commit_timestamp',
  'must fail with E_DELTA*',
];
const outcomes: { check: Check; subject: string; status: Status; detail: string }[] = [];

/** Records the outcome of `body`; a thrown assertion is a failure (and still fails the test). */
async function record(check: Check, subject: string, body: () => Promise<{ status?: Status; detail?: string } | void>): Promise<void> {
  try {
    const r = (await body()) ?? {};
    outcomes.push({ check, subject, status: r.status ?? 'pass', detail: r.detail ?? '' });
  } catch (e) {
    outcomes.push({ check, subject, status: 'fail', detail: (e as Error).message.split('\n')[0] });
    throw e;
  }
}

/** Tables this reader deliberately refuses (valid tables, unimplemented features). */
const UNSUPPORTED: Record<string, { from: number; reason: string }> = {
  'delta-rs/data/spark-shredded-variant-preview-delta': {
    from: 0,
    reason: 'reader features variantType, variantShredding-preview (Variant decoding not implemented)',
  },
  'delta-rs/data/spark-variant-checkpoint': { from: 0, reason: 'reader feature variantType-preview (Variant decoding not implemented)' },
  'delta-rs/data/spark-variant-stable-feature-checkpoint': {
    from: 0,
    reason: 'reader feature variantType (Variant decoding not implemented)',
  },
};
/** Versions that cannot be a DuckDB relation although the table is valid. */
const KNOWN_GAPS: Record<string, string> = {
  'delta-rs/data/delta-live-table@0': 'DLT metaData without schemaString: a zero-column table cannot be a DuckDB relation (E_DELTA)',
};
/** Tables the catalog marks MUST FAIL because of their protocol, from the version where it applies. */
const MUST_FAIL_PROTOCOL: Record<string, { from: number; reason: string }> = {
  'delta-rs/data/simple_table_features': { from: 0, reason: 'minReaderVersion 5 + unknown reader feature blahabl' },
  'delta-rs/data_err_logs/table_d': { from: 0, reason: 'reader feature catalogOwned' },
  'delta-rs/data_err_logs/table_e': { from: 0, reason: 'reader feature catalogOwned' },
  'delta-rs/data_err_logs/table_f': { from: 0, reason: 'reader feature catalogOwned' },
  'delta-rs/data_err_logs/table_h': { from: 9999, reason: 'reader feature catalogOwned at 9999' },
  'delta-rs/data_err_logs/table_i': { from: 9999, reason: 'reader feature catalogOwned at 9999' },
};

const catalog = loadCatalog();
const tableDir = (rel: string): string => path.join(CORPUS, rel);
let conn: DuckDBConnection;
let close: () => void;

describe.skipIf(!HAS_CORPUS)(HAS_CORPUS ? 'Delta conformance over shared/delta-corpus' : NO_CORPUS_MESSAGE, () => {
  beforeAll(async () => {
    ({ conn, close } = await openDuck());
  });
  afterAll(() => {
    close?.();
    writeSummary();
  });

  describe('DAT expected results (every expected/latest and expected/vN)', () => {
    const dat = HAS_CORPUS ? readdirSync(path.join(CORPUS, 'dat-v0.0.3')).sort() : [];
    for (const name of dat) {
      const caseDir = path.join(CORPUS, 'dat-v0.0.3', name);
      for (const ev of readdirSync(path.join(caseDir, 'expected')).sort()) {
        it(`${name} ${ev}`, () =>
          record('DAT expected rows', `dat-v0.0.3/${name} ${ev}`, async () => {
            const version = ev === 'latest' ? undefined : Number(ev.slice(1));
            const snap = await loadSnapshot(conn, path.join(caseDir, 'delta'), { version });
            const meta = JSON.parse(readFileSync(path.join(caseDir, 'expected', ev, 'table_version_metadata.json'), 'utf8')) as {
              version: number;
            };
            expect(snap.version).toBe(meta.version);
            await expectSameRows(conn, await snapshotQuery(conn, snap), path.join(caseDir, 'expected', ev, 'table_content'));
          }));
      }
    }
  });

  describe('catalog.json row counts at every version', () => {
    for (const t of catalog) {
      it(t.rel, () => checkVersions(t.rel, t.versionRows));
    }
  });

  describe('inspectTable at latest', () => {
    for (const t of catalog) {
      it(t.rel, () =>
        record('inspectTable at latest', t.rel, async () => {
          const expectError =
            UNSUPPORTED[t.rel] !== undefined ||
            (MUST_FAIL_PROTOCOL[t.rel] !== undefined && t.latestVersion >= MUST_FAIL_PROTOCOL[t.rel].from) ||
            t.versionRows[String(t.latestVersion)] === 'ERR';
          if (expectError) {
            const e = await relspecErrorOf(() => inspectTable(conn, tableDir(t.rel)));
            expect(e.code).toMatch(/^E_DELTA/);
            return { status: UNSUPPORTED[t.rel] ? 'unsupported' : 'pass', detail: e.message };
          }
          const info = await inspectTable(conn, tableDir(t.rel));
          expect(info.version).toBe(t.latestVersion);
          expect(info.numFiles).toBe(t.latestFiles);
          expect(info.partitionColumns).toEqual(t.partitionColumns);
          expect(info.numRows).toBe(t.latestRows ?? t.latestRowsFromStats ?? null);
        }),
      );
    }
  });

  describe('Change Data Feed: counts per change type per version (CDF-EXPECTED.md)', () => {
    for (const t of catalog.filter((x) => x.cdf)) {
      const versions = t.cdf!.map((c) => c.version);
      const [from, to] = [Math.min(...versions), Math.max(...versions)];
      it(`${t.rel} [${from}, ${to}] and every single version`, async () => {
        const full = await changeCounts(conn, tableDir(t.rel), from, to);
        expect(full.versions.map((v) => v.version)).toEqual(versions);
        const failures: string[] = [];
        for (const c of t.cdf!) {
          await record('CDF counts per version', `${t.rel}@${c.version}`, async () => {
            const want = { insert: 0, delete: 0, update_preimage: 0, update_postimage: 0, ...c.counts };
            expect(full.versions.find((v) => v.version === c.version)!.counts, `in [${from}, ${to}]`).toEqual(want);
            const single = await changeCounts(conn, tableDir(t.rel), c.version, c.version);
            expect(single.versions[0].counts, `in [${c.version}, ${c.version}]`).toEqual(want);
            return { detail: c.method };
          }).catch((e: Error) => failures.push(`${c.version}: ${e.message.split('\n')[0]}`));
        }
        expect(failures).toEqual([]);
      });
      it(`${t.rel} _commit_timestamp is the In-Commit Timestamp or the commit file mtime`, () =>
        record('CDF _commit_timestamp', t.rel, async () => {
          const tc = await tableChanges(conn, tableDir(t.rel), from, to);
          const got = await rows(conn, `SELECT DISTINCT _commit_version, epoch_ms(_commit_timestamp) FROM (${tc.sql}) ORDER BY 1`);
          for (const [v, ms] of got) {
            const c = t.cdf!.find((x) => x.version === Number(v))!;
            const file = path.join(tableDir(t.rel), '_delta_log', `${String(v).padStart(20, '0')}.json`);
            const want = t.ictVersions.includes(Number(v)) && c.ict !== null ? c.ict : Math.trunc(statSync(file).mtimeMs);
            expect(Number(ms), `version ${String(v)}`).toBe(want);
          }
        }));
    }

    it('dat-v0.0.3/cdf matches the kernel-rs FFI expected row counts', () =>
      record('CDF counts per version', 'dat-v0.0.3/cdf (kernel-rs FFI ranges)', async () => {
        const dir = tableDir('dat-v0.0.3/cdf/delta');
        for (const [a, b, n] of [
          [0, 2, 9],
          [1, 2, 9],
          [1, 1, 5],
          [2, 2, 4],
        ] as const) {
          expect(await count(conn, (await tableChanges(conn, dir, a, b)).sql), `[${a}, ${b}]`).toBe(n);
        }
      }));

    for (const t of catalog.filter((x) => x.cdf)) {
      it(`${t.rel}: bad ranges fail`, () =>
        record('must fail with E_DELTA*', `${t.rel} CDF bad ranges`, async () => {
          const dir = tableDir(t.rel);
          const last = t.latestVersion;
          for (const [a, b] of [
            [1, 0],
            [last + 1, last + 1],
            [t.minCommit, last + 5],
          ]) {
            const e = await relspecErrorOf(() => tableChanges(conn, dir, a, b));
            expect(e.code).toBe('E_DELTA');
          }
          if (t.minCommit > 0) {
            const e = await relspecErrorOf(() => tableChanges(conn, dir, 0, last));
            expect(e.message).toMatch(/commit 0 is missing/);
          }
        }));
    }

    for (const t of catalog.filter((x) => !x.cdfEverEnabled && !UNSUPPORTED[x.rel] && !MUST_FAIL_PROTOCOL[x.rel])) {
      it(`${t.rel}: table_changes fails (CDF never enabled)`, () =>
        record('must fail with E_DELTA*', `${t.rel} CDF not enabled`, async () => {
          const e = await relspecErrorOf(() => tableChanges(conn, tableDir(t.rel), t.minCommit ?? t.latestVersion, t.latestVersion));
          expect(e.code).toBe('E_DELTA');
          expect(e.message).toMatch(/change data feed is not enabled|commit \d+ is missing|missing|no columns/);
        }));
    }
  });

  it('a directory without _delta_log is not a table', () =>
    record('must fail with E_DELTA*', 'delta-rs/data/checkpoints_tombstones (no _delta_log)', async () => {
      const e = await relspecErrorOf(() => loadSnapshot(conn, tableDir('delta-rs/data/checkpoints_tombstones')));
      expect(e.code).toBe('E_DELTA');
      expect(e.message).toMatch(/not a Delta table/);
    }));
});

async function checkVersions(rel: string, versionRows: Record<string, number | null | 'ERR'>): Promise<void> {
  const failures: string[] = [];
  for (const [v, want] of Object.entries(versionRows)) {
    const version = Number(v);
    const subject = `${rel}@${v}`;
    const unsupported = UNSUPPORTED[rel] && version >= UNSUPPORTED[rel].from ? UNSUPPORTED[rel].reason : undefined;
    const protocolFail = MUST_FAIL_PROTOCOL[rel] && version >= MUST_FAIL_PROTOCOL[rel].from ? MUST_FAIL_PROTOCOL[rel].reason : undefined;
    const gap = KNOWN_GAPS[subject];
    const read = async (): Promise<number> => count(conn, await snapshotQuery(conn, await loadSnapshot(conn, tableDir(rel), { version })));
    try {
      if (unsupported || protocolFail) {
        await record(protocolFail ? 'must fail with E_DELTA*' : 'snapshot row count per version', subject, async () => {
          const e = await relspecErrorOf(read);
          expect(e.code).toBe('E_DELTA_UNSUPPORTED');
          return { status: unsupported ? 'unsupported' : 'pass', detail: e.message };
        });
      } else if (gap) {
        await record('snapshot row count per version', subject, async () => {
          const e = await relspecErrorOf(read);
          expect(e.code).toBe('E_DELTA');
          return { status: 'unsupported', detail: gap };
        });
      } else if (want === 'ERR' || want === null) {
        // ERR: the version cannot be reconstructed (log gap, truncated log). null: the log is
        // fine but data files are missing on disk — reading must fail, never return partial rows.
        await record(
          'must fail with E_DELTA*',
          `${subject} (${want === 'ERR' ? 'log cannot be replayed' : 'data files missing'})`,
          async () => {
            const e = await relspecErrorOf(read);
            expect(e.code).toBe('E_DELTA');
            if (want === null) expect(e.message).toMatch(/missing/);
            return { detail: e.message };
          },
        );
      } else {
        await record('snapshot row count per version', subject, async () => {
          expect(await read()).toBe(want);
        });
      }
    } catch (e) {
      failures.push(`${subject}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  expect(failures).toEqual([]);
}

/** Multiset equality: both EXCEPT ALL directions empty, after casting expected columns to our types. */
async function expectSameRows(conn: DuckDBConnection, sql: string, expectedDir: string): Promise<void> {
  const ours = (await rows(conn, `DESCRIBE ${sql}`)).map(([n, t]) => [String(n), String(t)]);
  const files = readdirSync(expectedDir).filter((f) => f.endsWith('.parquet'));
  if (!files.length) {
    expect(await count(conn, sql)).toBe(0);
    return;
  }
  const src = `read_parquet(${sqlPath(path.join(expectedDir, '*.parquet'))}, hive_partitioning = false)`;
  const theirs = (await rows(conn, `DESCRIBE SELECT * FROM ${src}`)).map(([n]) => String(n));
  expect(ours.map(([n]) => n).sort()).toEqual([...theirs].sort());
  const exp = `SELECT ${ours.map(([n, t]) => `CAST(e."${n}" AS ${t}) AS "${n}"`).join(', ')} FROM ${src} e`;
  const [[onlyOurs, onlyTheirs, n, m]] = await rows(
    conn,
    `WITH o AS (${sql}), x AS (${exp}) SELECT (SELECT count(*) FROM (FROM o EXCEPT ALL FROM x)), (SELECT count(*) FROM (FROM x EXCEPT ALL FROM o)), (SELECT count(*) FROM o), (SELECT count(*) FROM x)`,
  );
  expect({ onlyOurs: Number(onlyOurs), onlyTheirs: Number(onlyTheirs), rows: Number(n) }).toEqual({
    onlyOurs: 0,
    onlyTheirs: 0,
    rows: Number(m),
  });
}

function writeSummary(): void {
  if (!outcomes.length) return;
  const lines: string[] = [];
  lines.push('| check | pass | fail | unsupported |', '|---|---:|---:|---:|');
  const total = { pass: 0, fail: 0, unsupported: 0 };
  for (const c of CHECKS) {
    const of = outcomes.filter((o) => o.check === c);
    const n = { pass: 0, fail: 0, unsupported: 0 };
    for (const o of of) n[o.status]++;
    for (const k of ['pass', 'fail', 'unsupported'] as const) total[k] += n[k];
    lines.push(`| ${c} | ${n.pass} | ${n.fail} | ${n.unsupported} |`);
  }
  lines.push(`| **total** | **${total.pass}** | **${total.fail}** | **${total.unsupported}** |`);
  const table = lines.join('\n');
  const unsupported = outcomes
    .filter((o) => o.status === 'unsupported')
    .map((o) => `- \`${o.subject}\` (${o.check}): ${o.detail.replace(CORPUS + '/', '')}`);
  const failed = outcomes
    .filter((o) => o.status === 'fail')
    .map((o) => `- \`${o.subject}\` (${o.check}): ${o.detail.replace(CORPUS + '/', '')}`);
  console.log(
    `\nDelta conformance summary (shared/delta-corpus)\n${table}\n\nUnsupported:\n${unsupported.join('\n') || '(none)'}\n${failed.length ? `\nFailures:\n${failed.join('\n')}\n` : ''}`,
  );
  const md = [
    '# Delta reader conformance',
    '',
    'Generated by `test/delta/conformance.test.ts` (`npx vitest run test/delta`) over',
    '`../shared/delta-corpus` (78 tables written by Spark, Databricks and delta-rs). Do not edit by hand.',
    '',
    table,
    '',
    '"must fail" counts cases where the correct answer is an error (log gaps, truncated logs,',
    'missing data files, unsupported protocols marked MUST FAIL, bad CDF ranges); a pass means a',
    'RelspecError with code E_DELTA / E_DELTA_UNSUPPORTED was raised, never a TypeError or rows.',
    '',
    '## Unsupported',
    '',
    ...(unsupported.length ? unsupported : ['(none)']),
    '',
    '## Failures',
    '',
    ...(failed.length ? failed : ['(none)']),
    '',
  ].join('\n');
  // Only a complete run describes the corpus; a filtered run (-t) must not overwrite the file.
  const complete = outcomes.filter((o) => o.check === 'inspectTable at latest').length === catalog.length;
  if (complete) writeFileSync(path.join(import.meta.dirname, 'CONFORMANCE.md'), md);
}

if (!HAS_CORPUS) console.log(NO_CORPUS_MESSAGE);
