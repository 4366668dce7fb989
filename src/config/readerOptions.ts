import { RelspecError } from '../errors.js';
import { didYouMean, suggest } from '../util/suggest.js';
import { parseIsoTimestamp } from '../util/isoTime.js';

/**
 * The keys `sources.NAME.options` may hold, per format, and the type of value each takes. File
 * sources pass their options through to DuckDB's reader as named parameters (sources/files.ts
 * readerSql), so the lists are the named parameters of DuckDB 1.5's read_csv / read_json /
 * read_parquet (`SELECT parameters FROM duckdb_functions()` on 1.5.6, checked against the docs'
 * "CSV Import", "Loading JSON" and "Reading and Writing Parquet Files" parameter tables).
 * `any` is a parameter DuckDB takes as a struct, list or several types: passed through unchecked.
 */
type OptionType = 'boolean' | 'integer' | 'uinteger' | 'number' | 'string' | 'any';
type OptionTable = Readonly<Record<string, OptionType>>;

const HIVE: OptionTable = { hive_partitioning: 'boolean', hive_types: 'any', hive_types_autocast: 'boolean', union_by_name: 'boolean' };

const CSV: OptionTable = {
  ...HIVE,
  all_varchar: 'boolean',
  allow_quoted_nulls: 'boolean',
  auto_detect: 'boolean',
  auto_type_candidates: 'any',
  buffer_size: 'uinteger',
  column_names: 'any',
  column_types: 'any',
  columns: 'any',
  comment: 'string',
  compression: 'string',
  dateformat: 'string',
  decimal_separator: 'string',
  delim: 'string',
  dtypes: 'any',
  encoding: 'string',
  escape: 'string',
  filename: 'any',
  files_to_sniff: 'integer',
  force_not_null: 'any',
  header: 'boolean',
  ignore_errors: 'boolean',
  max_line_size: 'any',
  maximum_line_size: 'any',
  names: 'any',
  new_line: 'string',
  normalize_names: 'boolean',
  null_padding: 'boolean',
  nullstr: 'any',
  parallel: 'boolean',
  quote: 'string',
  rejects_limit: 'integer',
  rejects_scan: 'string',
  rejects_table: 'string',
  sample_size: 'integer',
  sep: 'string',
  skip: 'integer',
  store_rejects: 'boolean',
  strict_mode: 'boolean',
  thousands: 'string',
  timestampformat: 'string',
  types: 'any',
};

const JSON_: OptionTable = {
  ...HIVE,
  auto_detect: 'boolean',
  columns: 'any',
  compression: 'string',
  convert_strings_to_integers: 'boolean',
  date_format: 'string',
  dateformat: 'string',
  field_appearance_threshold: 'number',
  filename: 'any',
  format: 'string',
  ignore_errors: 'boolean',
  map_inference_threshold: 'integer',
  maximum_depth: 'integer',
  maximum_object_size: 'uinteger',
  maximum_sample_files: 'integer',
  records: 'string',
  sample_size: 'integer',
  timestamp_format: 'string',
  timestampformat: 'string',
};

const PARQUET: OptionTable = {
  ...HIVE,
  binary_as_string: 'boolean',
  can_have_nan: 'boolean',
  compression: 'string',
  debug_use_openssl: 'boolean',
  encryption_config: 'any',
  explicit_cardinality: 'uinteger',
  file_row_number: 'boolean',
  filename: 'any',
  parquet_version: 'string',
  schema: 'any',
};

/** Delta: time travel (sources/delta.ts deltaPin). Code sources take no options. */
const DELTA: OptionTable = { version: 'uinteger', timestamp: 'string' };

export const SOURCE_OPTIONS: Readonly<Record<string, OptionTable>> = { csv: CSV, json: JSON_, parquet: PARQUET, delta: DELTA, code: {} };

const TYPE_TEXT: Record<OptionType, string> = {
  boolean: 'true or false',
  integer: 'an integer',
  uinteger: 'a non-negative integer',
  number: 'a number',
  string: 'a string',
  any: 'a value',
};

function typeOk(t: OptionType, v: string | number | boolean): boolean {
  switch (t) {
    case 'boolean':
      return typeof v === 'boolean';
    case 'integer':
      return Number.isSafeInteger(v);
    case 'uinteger':
      return Number.isSafeInteger(v) && (v as number) >= 0;
    case 'number':
      return typeof v === 'number';
    case 'string':
      return typeof v === 'string';
    case 'any':
      return true;
  }
}

/** Every problem with one source's `options`: unknown keys (with "did you mean"), wrong value types, a bad pin. */
export function checkSourceOptions(
  name: string,
  format: string,
  options: Readonly<Record<string, string | number | boolean>>,
  file: string | undefined,
): RelspecError[] {
  const table = SOURCE_OPTIONS[format] ?? {};
  const known = Object.keys(table);
  const at = (k: string) => `sources.${name}.options.${k}`;
  const errors: RelspecError[] = [];
  for (const [k, v] of Object.entries(options)) {
    const t = table[k];
    if (t === undefined) {
      const fix =
        didYouMean(suggest(k, known).map(at)) ??
        (known.length ? `remove it (${format} sources take: ${known.join(', ')})` : `remove it (${format} sources take no options)`);
      errors.push(new RelspecError('E_CONFIG', `unknown option '${at(k)}'`, { file, fix }));
    } else if (!typeOk(t, v)) {
      errors.push(
        new RelspecError('E_CONFIG', `bad value for '${at(k)}': ${JSON.stringify(v)}`, { file, fix: `expected ${TYPE_TEXT[t]}` }),
      );
    }
  }
  if (format === 'delta') {
    if (options.version !== undefined && options.timestamp !== undefined) {
      errors.push(
        new RelspecError('E_CONFIG', `'${at('version')}' and '${at('timestamp')}' are both set`, {
          file,
          fix: 'pin the table by one of them',
        }),
      );
    }
    const ts = options.timestamp;
    if (typeof ts === 'string' && parseIsoTimestamp(ts) === undefined) {
      errors.push(
        new RelspecError('E_CONFIG', `bad value for '${at('timestamp')}': ${JSON.stringify(ts)}`, {
          file,
          fix: "expected an ISO-8601 timestamp, e.g. '2024-05-01T12:00:00Z' (UTC without an offset)",
        }),
      );
    }
  }
  return errors;
}
