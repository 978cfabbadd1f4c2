package synthetic

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
)

// MaxCount is the most synthetic requests one run sends (`make produce N=`) and waits for (`make
// wait-ready PROCESSED=`): produce builds every message in memory before it sends, so a count
// with no bound ran the machine out of memory. The scripts' check_count refuses the same numbers
// before any build; both are rendered from create-hybrid-backend's settings.ts.
const MaxCount = 1000000

// Count is a -count flag: 0 (none) to MaxCount.
type Count int

func (c *Count) String() string { return strconv.Itoa(int(*c)) }

// Set refuses what Go's flag.Int would take past MaxCount, and what it would refuse only with
// "value out of range".
func (c *Count) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > MaxCount {
		return fmt.Errorf("want a whole number from 0 to %d", MaxCount)
	}
	*c = Count(n)
	return nil
}

// ParseFlags parses tool's command line as flag.Parse does, but a bad value is one line and exit
// 2 (bad input), without the usage after it that buried that line; -h still prints the usage.
func ParseFlags(tool string) {
	flag.CommandLine.Init(tool, flag.ContinueOnError)
	flag.CommandLine.SetOutput(io.Discard)
	err := flag.CommandLine.Parse(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		flag.CommandLine.SetOutput(os.Stderr)
		flag.Usage()
		os.Exit(0)
	}
	if err != nil {
		BadInput(tool, err)
	}
}

// BadInput reports err, which the user's input caused (a flag, a setting), on one line and exits
// 2, the exit status of bad input: scripts tell it from a failure of the AWS calls (1).
func BadInput(tool string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", tool, err)
	os.Exit(2)
}
