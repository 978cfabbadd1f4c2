/**
 * What each service accepts for a setting, as its own parser reads it
 * (config.go's parser, worker-kit's config): the settings tables (settings.ts,
 * worker-settings.ts) carry one per setting, and scripts/services.sh renders
 * them for `--check` (check_values), so `make run`, `make smoke` and
 * `make bench` refuse a value before the build that the service would refuse
 * after it. `want` is the refusal's "what is allowed", in checks.sh's style.
 */
export type SettingRule =
  /** A Go duration (time.ParseDuration) of at least minMs milliseconds; `wholeSecs`: a whole number of seconds up to maxMs. */
  | { kind: "duration"; minMs: number; maxMs?: number; wholeSecs?: boolean; want: string }
  /** A whole number from min to max, as Go's strconv and Rust's str::parse read one (an optional +, leading zeros). */
  | { kind: "whole"; min: number; max: string; want: string }
  /** One of the values, exactly. */
  | { kind: "choice"; values: readonly string[] }
  /** slog.Level's text: debug, info, warn or error in any case, with an optional +N or -N. */
  | { kind: "level" };

/** The most an int64 holds: the bound of a byte count Go parses with ParseInt(v, 10, 64). */
export const INT64_MAX = "9223372036854775807";

export const positiveDuration: SettingRule = { kind: "duration", minMs: 1, want: "a positive Go duration such as 2s or 500ms" };

export function whole(min: number, max: number | string, of: string): SettingRule {
  return { kind: "whole", min, max: String(max), want: `${of} from ${min} to ${max}` };
}

/** The rule as scripts/services.sh's check_values reads it: "VAR|FUNCTION|ARG|...", the want text last. */
export function ruleLine(name: string, rule: SettingRule): string {
  switch (rule.kind) {
    case "duration":
      return [name, "duration", rule.minMs, rule.maxMs ?? "", rule.wholeSecs ? 1 : "", rule.want].join("|");
    case "whole":
      return [name, "whole", rule.min, rule.max, rule.want].join("|");
    case "choice":
      return [name, "choice", ...rule.values].join("|");
    case "level":
      return [name, "level"].join("|");
  }
}
