/**
 * Structured JSON logs. A {@link Logger} is passed in (never imported as a global), carries
 * bound fields (role, node id, connection id) and writes one JSON object per line.
 */

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A structured logger. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger;
}

/** Where lines go; defaults to stderr so stdout stays free for CLIs. */
export type LogSink = (line: string) => void;

/** Creates a JSON-lines logger at `level` with bound `fields`. */
export function createLogger(level: LogLevel, fields: Record<string, unknown> = {}, sink?: LogSink): Logger {
  const out: LogSink = sink ?? ((line) => console.error(line));
  const min = ORDER[level];
  const write = (lvl: LogLevel, msg: string, extra?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    out(JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...fields, ...extra }));
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (more) => createLogger(level, { ...fields, ...more }, out),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger("error", {}, () => {});
