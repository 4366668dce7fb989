/**
 * Daemon log lines: `2025-01-01T12:00:00.000Z [run] message` for people, or with `--json-log` one
 * JSON object per line, `{"time","tag","event","message",...fields}`, for machines and tests.
 */
export type LogTag = 'daemon' | 'watch' | 'run' | 'task' | 'config' | 'ui';

export interface LogEntry {
  time: string;
  tag: LogTag;
  event: string;
  message: string;
  [field: string]: unknown;
}

export type LogSink = (line: string, entry: LogEntry) => void;

export type Log = (tag: LogTag, event: string, message: string, fields?: Record<string, unknown>) => void;

export function createLog(json: boolean, sink: LogSink = (line) => void process.stdout.write(line + '\n')): Log {
  return (tag, event, message, fields = {}) => {
    const entry: LogEntry = { time: new Date().toISOString(), tag, event, message, ...fields };
    const line = json ? JSON.stringify(entry) : `${entry.time} [${tag}] ${message}`;
    try {
      sink(line, entry);
    } catch {
      /* a closed stdout must not take the daemon down */
    }
  };
}
