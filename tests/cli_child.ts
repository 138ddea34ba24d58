/**
 * cli.ts as a child process for end-to-end tests ({@link Child}), with its
 * `--json` events to wait for.
 */

import { Child } from "./_child.ts";
import { CLI, DEADLINE, ownLines, PERMISSIONS, runCli } from "./_cli.ts";

export { DEADLINE, ownLines, PERMISSIONS, runCli };

/** One running `cli.ts`. */
export class CliChild extends Child {
  constructor(args: string[]) {
    super(Deno.execPath(), ["run", ...PERMISSIONS, CLI, ...args]);
  }

  /** Waits for a JSON stdout line whose `event` is `event` and that `match` accepts. */
  async event(
    event: string,
    match: (e: Record<string, unknown>) => boolean = () => true,
  ): Promise<Record<string, unknown>> {
    const parse = (l: string) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    };
    const line = await this.line((l) => {
      const e = parse(l);
      return e?.event === event && match(e);
    }, `event ${event}`);
    return parse(line)!;
  }
}
