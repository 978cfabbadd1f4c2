# shellcheck shell=bash
# Go durations (SHUTDOWN_TIMEOUT, BENCH_DURATION, ...) read as the services
# read them, for the stop graces and the checks. Sourced by lib.sh.

# duration_secs DURATION: a Go duration, as the orchestrator reads SHUTDOWN_TIMEOUT
# (time.ParseDuration: "10s", "1h2m3.5s", "500ms", "1.5µs", "-2m", "0"), in whole
# seconds rounded up. Fails, printing nothing, on what ParseDuration refuses: no
# unit, an unknown one, an empty string, a value past 292 years. Whole units are
# counted in exact integers, split into seconds and nanoseconds (awk's doubles
# would round them), a fraction as Go computes it (in float64, truncated to the
# nanosecond), so the result is Go's to the nanosecond before rounding up.
duration_secs() {
  duration_in s "$1"
}

# duration_ms DURATION: the same in whole milliseconds, rounded up (make bench's phases).
duration_ms() {
  duration_in ms "$1"
}

# duration_in UNIT DURATION: duration_secs (UNIT s) or duration_ms (UNIT ms).
duration_in() {
  UNIT=$1 DURATION=$2 LC_ALL=C awk 'BEGIN {
    s = ENVIRON["DURATION"]; neg = 0
    c = substr(s, 1, 1)
    if (c == "-" || c == "+") { neg = c == "-"; s = substr(s, 2) }
    if (s == "0") { print 0; exit }
    if (s == "") exit 1
    # Per unit: nanoseconds, and the most ParseDuration takes of it (2^63 ns).
    split("ns us \302\265s \316\274s ms s m h", names, " ")
    split("1 1e3 1e3 1e3 1e6 1e9 6e10 3.6e12", sizes, " ")
    split("9223372036854775808 9223372036854775 9223372036854775 9223372036854775 9223372036854 9223372036 153722867 2562047", most, " ")
    for (i = 1; i in names; i++) { ns[names[i]] = sizes[i] + 0; max[names[i]] = most[i] }
    S = 0; N = 0
    while (s != "") {
      c = substr(s, 1, 1)
      if (c != "." && !digit(c)) exit 1
      v = digits(); s = substr(s, length(v) + 1); pre = v != ""
      v = unzero(v)
      if (bigger(v, "9223372036854775808")) exit 1
      f = ""; k = 0; post = 0
      if (substr(s, 1, 1) == ".") {
        s = substr(s, 2); fd = digits(); s = substr(s, length(fd) + 1); post = fd != ""
        # leadingFraction: digits count until one would pass 2^63; the rest are dropped.
        for (i = 1; i <= length(fd); i++) {
          y = unzero(f substr(fd, i, 1))
          if (bigger(f, "922337203685477580") || bigger(y, "9223372036854775808")) break
          f = y; k++
        }
      }
      if (!pre && !post) exit 1
      for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); if (c == "." || digit(c)) break }
      u = substr(s, 1, i - 1); s = substr(s, i)
      if (u == "" || !(u in ns)) exit 1
      if (bigger(v, max[u])) exit 1
      # v units as seconds (vs) and nanoseconds (vn): the sub-second digits are the last 9, 6 or 3.
      sub_digits = ns[u] >= 1e9 ? 0 : ns[u] == 1 ? 9 : ns[u] == 1e3 ? 6 : 3
      if (sub_digits == 0) { vs = v * (ns[u] / 1e9); vn = 0 }
      else {
        vs = length(v) > sub_digits ? substr(v, 1, length(v) - sub_digits) + 0 : 0
        vn = (length(v) > sub_digits ? substr(v, length(v) - sub_digits + 1) : v) * (1e9 / 10 ^ sub_digits)
      }
      if (f != "" && f + 0 > 0) {
        scale = 1; for (i = 0; i < k; i++) scale *= 10
        extra = int((f + 0) * (ns[u] / scale))
        vn += extra % 1e9; vs += int(extra / 1e9)
      }
      vs += int(vn / 1e9); vn %= 1e9
      if (past(vs, vn)) exit 1
      S += vs; N += vn; S += int(N / 1e9); N %= 1e9
      if (past(S, N)) exit 1
    }
    if (!neg && (S > 9223372036 || S == 9223372036 && N >= 854775808)) exit 1
    # %.0f: print would write a count past 2^31 in exponent form (mawk).
    if (ENVIRON["UNIT"] == "ms") {
      # Seconds and milliseconds written side by side: S * 1000 can pass 2^53, past a double.
      ms = int(N / 1e6) + (!neg && N % 1e6 > 0)
      if (ms == 1000) { S++; ms = 0 }
      out = S == 0 ? sprintf("%d", ms) : sprintf("%.0f%03d", S, ms)
      printf "%s%s\n", (neg && out != "0" ? "-" : ""), out
      exit
    }
    if (neg) printf "%s%.0f\n", (S == 0 ? "" : "-"), S; else printf "%.0f\n", S + (N > 0)
  }
  function digit(c) { return c != "" && index("0123456789", c) > 0 }
  function digits(   i) { for (i = 1; digit(substr(s, i, 1)); i++); return substr(s, 1, i - 1) }
  function unzero(d) { sub(/^0+/, "", d); return d }
  # bigger(A, B): whether the digit string A (no leading zeros) is greater than B.
  function bigger(a, b) { return length(a) != length(b) ? length(a) > length(b) : (a "") > (b "") }
  # past(SECONDS, NANOS): whether the duration is over 2^63 ns, the most ParseDuration adds up to.
  function past(sec, nsec) { return sec > 9223372036 || sec == 9223372036 && nsec > 854775808 }'
}
