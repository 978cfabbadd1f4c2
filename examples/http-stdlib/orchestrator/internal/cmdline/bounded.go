package cmdline

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"time"
)

// The flags below hold their range, so flag's own error names the flag, the value and what is
// allowed (`invalid value "0" for flag -runs: want a whole number from 1 to 1000`), and -h shows
// the range beside a placeholder (`-runs N`) instead of flag.Var's `value`.

type intFlag struct {
	p      *int
	lo, hi int
}

func (f intFlag) String() string {
	if f.p == nil {
		return "0"
	}
	return strconv.Itoa(*f.p)
}

// Set refuses what flag.Int would take outside the range, and what it would refuse only with
// "value out of range".
func (f intFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < f.lo || n > f.hi {
		return fmt.Errorf("want a whole number %s", rangeOf(f.lo, f.hi))
	}
	*f.p = n
	return nil
}

// IntVar defines an int flag from lo to hi (math.MaxInt: no bound above); usage gets the
// range, and -h shows it as -name N.
func IntVar(fs *flag.FlagSet, p *int, name string, value, lo, hi int, usage string) {
	*p = value
	fs.Var(intFlag{p, lo, hi}, name, fmt.Sprintf("%s (`N` %s)", usage, rangeOf(lo, hi)))
}

func rangeOf(lo, hi int) string {
	if hi == math.MaxInt {
		return fmt.Sprintf("%d or more", lo)
	}
	return fmt.Sprintf("from %d to %d", lo, hi)
}

type positiveFloat struct{ p *float64 }

func (f positiveFloat) String() string {
	if f.p == nil {
		return "0"
	}
	return strconv.FormatFloat(*f.p, 'g', -1, 64)
}

func (f positiveFloat) Set(s string) error {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || !(x > 0) || math.IsInf(x, 0) {
		return fmt.Errorf("want a number above 0, e.g. 100")
	}
	*f.p = x
	return nil
}

// PositiveFloatVar defines a float flag that must be above 0; -h shows it as -name X.
func PositiveFloatVar(fs *flag.FlagSet, p *float64, name string, value float64, usage string) {
	*p = value
	fs.Var(positiveFloat{p}, name, fmt.Sprintf("%s (`X` above 0)", usage))
}

type positiveDuration struct{ p *time.Duration }

func (f positiveDuration) String() string {
	if f.p == nil {
		return "0s"
	}
	return f.p.String()
}

func (f positiveDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("want a Go duration above 0, e.g. 2s")
	}
	*f.p = d
	return nil
}

// PositiveDurationVar defines a duration flag that must be above 0; -h shows it as -name D.
func PositiveDurationVar(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var(positiveDuration{p}, name, fmt.Sprintf("%s (`D` a Go duration above 0, e.g. 2s)", usage))
}
