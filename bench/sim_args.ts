/**
 * The flags of `deno task sim` (bench/sim.ts): what they are, their
 * defaults, the help text, and their parsing (a bad value or an unknown flag
 * throws; `--help` prints the help and exits).
 *
 * @module
 */

/** What one `deno task sim` run does. */
export interface Args {
  json: boolean;
  sizes: number[];
  stormSizes: number[];
  meshSizes: number[];
  treeSizes: number[];
  faultSize: number;
  tagSizes: number[];
  partitionSize: number;
  loss: number[];
  seed: number;
  stormTime: number;
  delay: number;
  jitter: number;
  write: string | undefined;
}

/** The usage line `--help` prints (and an unknown flag's error ends with). */
export const HELP = `deno task sim [--json] [--sizes 10,100,1000,10000] [--storm-sizes 10,100,1000]
  [--tree-sizes 1000,10000] [--fault-size 1000] [--tag-sizes 1000,5000,10000]
  [--partition-size 1000] [--loss 0,0.1,0.3] [--seed 1] [--storm-time 60]
  [--delay 5] [--jitter 5] [--write FILE]`;

/** Parses the command line; the defaults are the full run's sizes. */
export function parseArgs(argv: string[]): Args {
  const args: Args = {
    json: false,
    sizes: [10, 100, 1000, 10000],
    stormSizes: [10, 100, 1000],
    meshSizes: [10, 100, 1000],
    treeSizes: [1000, 10000],
    faultSize: 1000,
    tagSizes: [1000, 5000, 10000],
    partitionSize: 1000,
    loss: [0, 0.1, 0.3],
    seed: 1,
    stormTime: 60,
    delay: 5,
    jitter: 5,
    write: undefined,
  };
  const list = (v: string | undefined, name: string): number[] => {
    const out = (v ?? "").split(",").filter((x) => x !== "").map(Number);
    if (out.some((x) => !Number.isFinite(x) || x < 0)) throw new TypeError(`bad ${name}: ${v}`);
    return out;
  };
  const num = (v: string | undefined, name: string): number => {
    const x = Number(v);
    if (v === undefined || !Number.isFinite(x) || x < 0) throw new TypeError(`bad ${name}: ${v}`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--json":
        args.json = true;
        break;
      case "--sizes":
        args.sizes = list(value(), "--sizes").filter((n) => n >= 2);
        break;
      case "--mesh-sizes":
        args.meshSizes = list(value(), "--mesh-sizes").filter((n) => n >= 2);
        break;
      case "--tree-sizes":
        args.treeSizes = list(value(), "--tree-sizes").filter((n) => n >= 2);
        break;
      case "--fault-size":
        args.faultSize = num(value(), "--fault-size");
        break;
      case "--tag-sizes":
        args.tagSizes = list(value(), "--tag-sizes").filter((n) => n >= 2);
        break;
      case "--partition-size":
        args.partitionSize = num(value(), "--partition-size");
        break;
      case "--storm-sizes":
        args.stormSizes = list(value(), "--storm-sizes").filter((n) => n >= 2);
        break;
      case "--loss":
        args.loss = list(value(), "--loss");
        if (args.loss.some((x) => x >= 1)) throw new TypeError("--loss rates must be below 1");
        break;
      case "--seed":
        args.seed = num(value(), "--seed");
        break;
      case "--storm-time":
        args.stormTime = num(value(), "--storm-time");
        break;
      case "--delay":
        args.delay = num(value(), "--delay");
        break;
      case "--jitter":
        args.jitter = num(value(), "--jitter");
        break;
      case "--write":
        args.write = value();
        break;
      case "--help":
      case "-h":
        console.log(HELP);
        Deno.exit(0);
        break;
      default:
        throw new TypeError(`unknown flag ${argv[i]}\n${HELP}`);
    }
  }
  return args;
}
