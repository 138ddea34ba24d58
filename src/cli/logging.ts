/**
 * Logging for the `peer` command line. The library only calls LogTape's
 * `getLogger` (categories under `["peer"]`); configuring where logs go is the
 * application's job, and this is the command line's: plain text on standard
 * error, at the `--log-level` given.
 *
 * @module
 */

import {
  configure,
  dispose,
  getStreamSink,
  getTextFormatter,
  type LogLevel,
} from "@logtape/logtape";
import { stderrStream } from "./process.ts";

/**
 * Sends the library's logs (category `["peer"]`, from `level` up) and
 * LogTape's own warnings to standard error, replacing any earlier LogTape
 * configuration. Disposing the result flushes and removes it.
 *
 * @param level The lowest level written.
 * @returns A handle that undoes the configuration when disposed.
 */
export async function configureLogging(level: LogLevel): Promise<AsyncDisposable> {
  await configure({
    reset: true,
    sinks: {
      stderr: getStreamSink(stderrStream(), {
        closeStream: false,
        formatter: getTextFormatter({ value: "bare" }),
      }),
    },
    loggers: [
      { category: ["peer"], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
  return { [Symbol.asyncDispose]: dispose };
}
