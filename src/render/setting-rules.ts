/**
 * What each service accepts for a setting, as its own parser reads it
 * (config.go's parser, worker-kit's config): the settings tables (settings.ts,
 * worker-settings.ts) carry one per setting, and scripts/services.sh renders
 * them for `--check` (check_values), so `make run`, `make smoke` and
 * `make bench` refuse a value before the build that the service would refuse
 * after it. `want` is the refusal's "what is allowed", in checks.sh's style.
 *
 * Every parser reads a value the same way first: empty is unset (its default),
 * and whitespace around a value, or a value of only whitespace, is refused, as
 * nothing the services read means anything with it (the scripts would use it as
 * it is).
 */
export type SettingRule =
  /**
   * A Go duration (time.ParseDuration) of at least minMs milliseconds (minMs 1: above 0, as 1ns is);
   * `wholeSecs`: a whole number of seconds; maxMs: at most that.
   */
  | { kind: "duration"; minMs: number; maxMs?: number; wholeSecs?: boolean; want: string }
  /**
   * A whole number from min to max, as Go's strconv and Rust's str::parse read one (an optional +, leading zeros).
   * `ceiling`: "FILE:KEY", a lower bound than max that the service derives from the contract at
   * start and make gen writes to FILE (CONTRACT_LIMITS) for the scripts; `{ceiling}` in want is it.
   */
  | { kind: "whole"; min: number; max: string; want: string; ceiling?: string }
  /** One of the values, exactly. */
  | { kind: "choice"; values: readonly string[] }
  /** slog.Level's text: debug, info, warn or error in any ASCII case (no other letter folds), with an optional +N or -N. */
  | { kind: "level" }
  /**
   * HOST:PORT to listen on. `ip`: HOST an IP address (an IPv6 one in brackets), as Rust's
   * SocketAddr reads one; else also empty (every interface) or a name. `port0`: port 0 (a
   * free one, logged) too, else 1 to 65535. `unix`: or unix:///absolute/path. `port`: the
   * setting's own port, which its examples use (another setting's would clash).
   */
  | { kind: "addr"; ip: boolean; port0: boolean; unix?: boolean; port: number; want: string }
  /**
   * A name AWS takes for a resource: min to max bytes, each one of `chars` (a bracket
   * expression's ASCII ranges and characters, as shell and Go regexps read it alike).
   */
  | { kind: "name"; min: number; max: number; chars: string; want: string };

/** The most an int64 holds: the bound of a byte count Go parses with ParseInt(v, 10, 64). */
export const INT64_MAX = "9223372036854775807";

export const positiveDuration: SettingRule = { kind: "duration", minMs: 1, want: "a positive Go duration such as 2s or 500ms" };

/**
 * AWS's own limits on the names the orchestrator's settings give its resources (CreateQueue,
 * CreateStream, CreateTable): a name past them passes an emulator and fails only on AWS.
 * `.` is no standard queue's (only a FIFO queue's .fifo suffix has one).
 */
export const AWS_NAMES = {
  queue: { min: 1, max: 80, chars: "A-Za-z0-9_-", what: "letters, digits, - and _" },
  stream: { min: 1, max: 128, chars: "A-Za-z0-9_.-", what: "letters, digits, -, _ and ." },
  table: { min: 3, max: 255, chars: "A-Za-z0-9_.-", what: "letters, digits, -, _ and ." },
} as const;

/** A name rule of AWS's limits for `kind`, less `reserve` bytes a suffix the scripts add takes. */
export function awsName(kind: keyof typeof AWS_NAMES, reserve = 0, note = ""): SettingRule {
  const { min, max, chars, what } = AWS_NAMES[kind];
  return { kind: "name", min, max: max - reserve, chars, want: `${min} to ${max - reserve} ${what}${note}` };
}

export function whole(min: number, max: number | string, of: string): SettingRule {
  return { kind: "whole", min, max: String(max), want: `${of} from ${min} to ${max}` };
}

/**
 * Where make gen writes the contract's limits (buf.gen.yaml's protoc-gen-limits, the
 * orchestrator's own sizing code): KEY=VALUE lines a rule's `ceiling` names, so the scripts
 * check against the bound the orchestrator derives from scoring.proto, never a copy of it.
 */
export const CONTRACT_LIMITS = { dir: "orchestrator/gen/limits", file: "contract.env" } as const;

/** A rule's ceiling: KEY in the contract's limits. */
export const contractCeiling = (key: string) => `${CONTRACT_LIMITS.dir}/${CONTRACT_LIMITS.file}:${key}`;

/** The rule as scripts/services.sh's check_values reads it: "VAR|FUNCTION|ARG|...", the want text last. */
export function ruleLine(name: string, rule: SettingRule): string {
  switch (rule.kind) {
    case "duration":
      return [name, "duration", rule.minMs, rule.maxMs ?? "", rule.wholeSecs ? 1 : "", rule.want].join("|");
    case "whole":
      return [name, "whole", rule.min, rule.max, rule.ceiling ?? "", rule.want].join("|");
    case "choice":
      return [name, "choice", ...rule.values].join("|");
    case "level":
      return [name, "level"].join("|");
    case "name":
      return [name, "name", rule.min, rule.max, rule.chars, rule.want].join("|");
    case "addr":
      if (rule.unix) throw new Error(`${name}: the scripts place unix:// addresses themselves (run.sh), so no rule line takes one`);
      return [name, "addr", rule.ip ? 1 : "", rule.port0 ? 1 : "", rule.want].join("|");
  }
}

/**
 * unix:// addresses as each parser of one reads them (worker-kit's ListenAddr, config.go's
 * addrs, run.sh's check_addr): unix:// then an absolute path that names a file, so neither /
 * nor one ending in /, . or .. (unix:/// passed every check and the worker failed at bind),
 * nor an existing directory (unix:///tmp, one on every machine): no socket can be bound
 * there, and the orchestrator, which took it, dialled it for ever, unready. One list for
 * all three, so a parser that misses one fails its test.
 */
export const SOCKET_EXAMPLES = {
  bad: ["unix:///", "unix:///tmp/", "unix:///tmp/.", "unix:///tmp/..", "unix:///tmp/x/", "unix://worker.sock", "unix:/worker.sock", "unix:///tmp"],
  good: ["unix:///tmp/worker.sock", "unix:///tmp/.worker.sock"],
} as const;

/** Two listen settings of one service, each with its own port (its addr rule's). */
export interface ListenPair {
  first: { name: string; port: number; port0: boolean };
  second: { name: string; port: number; port0: boolean };
}

/**
 * Values of two listen settings of one service (a setting's distinctPort, settings.ts) and
 * whether the service takes them together: never one port for both, whatever the hosts (a
 * name, every interface, another loopback address, IPv6, leading zeros), but port 0 (each a
 * free one). config.go, worker-kit and run.sh's claim each run them, so none drifts.
 */
export function distinctPortExamples({ first, second }: ListenPair): { vars: [string, string][]; ok: boolean }[] {
  const p = first.port;
  const pair = (a: string, b: string, ok: boolean) => ({ vars: [[first.name, a], [second.name, b]] as [string, string][], ok });
  return [
    pair(`127.0.0.1:${p}`, `127.0.0.1:${p}`, false),
    pair(`0.0.0.0:${p}`, `127.0.0.1:${p}`, false),
    pair(`127.0.0.1:${p}`, `0.0.0.0:${p}`, false),
    pair(`127.0.0.1:${p}`, `127.0.0.2:${p}`, false),
    pair(`127.0.0.1:${p}`, `[::1]:${p}`, false),
    pair(`127.0.0.1:${p}`, `127.0.0.1:0${p}`, false),
    pair(`127.0.0.1:${p}`, `127.0.0.1:${second.port}`, true),
    pair(`[::1]:${p}`, `127.0.0.1:${second.port}`, true),
    ...(first.port0 && second.port0 ? [pair("127.0.0.1:0", "127.0.0.1:0", true)] : []),
  ];
}

/** One more than a whole number written in digits. */
const plusOne = (n: string) => (BigInt(n) + 1n).toString();

/**
 * Values a rule must refuse, and ones it must take, as every parser of the
 * setting does: the scripts' check_rule, config.go and worker-kit's config
 * each run them (unit tests, and the tests rendered into the repo), so a parser
 * that drifts from its rule, or from the other languages', fails a test.
 */
export function ruleExamples(rule: SettingRule): { bad: string[]; good: string[] } {
  const { bad, good } = kindExamples(rule);
  return { bad: [...bad, ...spaced(good)], good };
}

/** A value every parser refuses: a good one with whitespace around it, and only whitespace. */
function spaced(good: readonly string[]): string[] {
  return [` ${good[0]!} `, `\t${good[good.length - 1]!}`, `${good[0]!}\n`, " "];
}

/**
 * A setting's examples: its rule's, or for free text (a name, a path, a
 * filter) its default or a word, which every parser takes, and that with
 * whitespace around it, which every parser refuses.
 */
export function settingExamples(s: { rule?: SettingRule; default: string }): { bad: string[]; good: string[] } {
  if (s.rule) return ruleExamples(s.rule);
  const good = [s.default || "x"];
  return { bad: spaced(good), good };
}

function kindExamples(rule: SettingRule): { bad: string[]; good: string[] } {
  switch (rule.kind) {
    case "whole": {
      // The ceiling is only the build's to know: its examples are the tests' (service-setting-checks, protoc-gen-limits).
      const high = rule.ceiling ? String(rule.min) : rule.max;
      return {
        bad: ["abc", "-1", "1.5", "1e3", "1 0", "0x10", "99999999999999999999999", plusOne(rule.max), ...(rule.min > 0 ? [String(rule.min - 1), `-${rule.min}`] : [])],
        good: [String(rule.min), high, `+${high}`, `0${high}`],
      };
    }
    case "duration": {
      const bad = ["abc", "10", "-1s", "1x", "1S", "1 s", "s"];
      const good = ["+2s", "1h30m", ".5h"];
      if (rule.minMs >= 1000) bad.push(`${rule.minMs - 1}ms`, `${rule.minMs * 1000 - 1}us`);
      if (rule.minMs === 1) bad.push("0", "0s", "-0s", "0.1ns");
      if (rule.minMs === 0) bad.push("-1us", "-1ns");
      if (rule.wholeSecs) bad.push("1500ms", "2000001us");
      if (rule.maxMs) bad.push(`${rule.maxMs / 1000 + 1}s`, `${rule.maxMs}001us`);
      good.push(...(rule.minMs >= 1000 ? [`${rule.minMs}ms`] : ["500ms", "1h2m3.5s"]), ...(rule.minMs === 1 ? ["1ns"] : []), ...(rule.minMs === 0 ? ["0", "0s", "-0s"] : []));
      if (rule.maxMs) good.push(`${rule.maxMs / 1000}s`);
      return { bad, good };
    }
    case "choice":
      // The first value in the other case (upper case values: lower case).
      return { bad: ["maybe", rule.values[0] === rule.values[0]!.toUpperCase() ? rule.values[0]!.toLowerCase() : rule.values[0]!.toUpperCase(), `${rule.values[0]!.slice(0, 1)} ${rule.values[0]!.slice(1)}`], good: [...rule.values] };
    case "level":
      return {
        // Case folds in ASCII only: slog's Unicode folding took ınfo (a dotless ı) for INFO, the scripts did not.
        bad: ["loud", "info+", "inf", "debug+1.5", "in fo", "info +2", "info+-2", "info+9223372036854775808", "info-9223372036854775809", "\u0131nfo", "\u0130NFO", "\uff29\uff2e\uff26\uff2f", "\u0131nfo+1"],
        good: ["debug", "INFO", "Warn", "error", "info+2", "debug-4", "info+0000000000000000000002", "error-9223372036854775808"],
      };
    case "name": {
      // What AWS refuses: a space, punctuation outside the set, a letter outside ASCII, too long, too short.
      const bad = ["bad name!", "a b", "a/b", "na\u00efve", "x".repeat(rule.max + 1), ...(rule.min > 1 ? ["x".repeat(rule.min - 1)] : [])];
      const dot = rule.chars.includes(".");
      (dot ? [] : bad).push("requests.fifo");
      return { bad, good: ["x".repeat(rule.min), "x".repeat(rule.max), "Ab-9_z", ...(dot ? ["a.b"] : [])] };
    }
    case "addr": {
      const p = rule.port;
      const bad = [String(p), "localhost", `:${p}x`, ":65536", `:-${p}`, `::1:${p}`, `[::1]`, `a b:${p}`, `1.2.3.4:${p}:${p}`, `localhost:${p}/x`];
      const good = [`127.0.0.1:${p}`, `[::1]:${p}`, `0.0.0.0:${p}`, `[::]:${p}`, `127.0.0.1:000${p}`, `[fe80::1%2]:${p}`];
      // IPv6 as Go's net.ParseIP and Rust's Ipv6Addr read it: a bracketed pattern of hex digits and colons took these.
      bad.push(`[:::]:${p}`, `[1:2]:${p}`, `[::1::]:${p}`, `[12345::]:${p}`, `[1:2:3:4:5:6:7::8]:${p}`, `[::ffff:1.2.3.256]:${p}`, `[1.2.3.4]:${p}`, `[]:${p}`);
      good.push(`[::ffff:1.2.3.4]:${p}`, `[1:2:3:4:5:6:7:8]:${p}`, `[1::]:${p}`);
      // A zone: Go takes a name, Rust's SocketAddrV6 a u32 scope id only.
      if (rule.ip) bad.push(`localhost:${p}`, `:${p}`, `01.2.3.4:${p}`, `1.2.3:${p}`, `256.0.0.1:${p}`, `[fe80::1%eth0]:${p}`, `[fe80::1%4294967296]:${p}`);
      else good.push(`:${p}`, `localhost:${p}`, "127.0.0.1:65535", `[fe80::1%eth0]:${p}`);
      (rule.port0 ? good : bad).push("127.0.0.1:0");
      if (rule.unix) good.push(...SOCKET_EXAMPLES.good);
      bad.push(...SOCKET_EXAMPLES.bad);
      return { bad, good };
    }
  }
}
