// Package cmdline reads the command lines of the repo's own commands (the tools bootstrap,
// produce, verify, loadgen, smoke, and the services orchestrator and gateway, which take no
// arguments but refuse a bad setting the same way) one way: make and the scripts tell bad input (exit 2) from a
// failure (1), so a bad flag, value or argument is one line naming it and what is allowed,
// then exit 2, never flag's usage dump after it, which buried that line, nor its exit 1.
package cmdline

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Parse parses args with fs (flag.CommandLine, or a subcommand's set) for tool as flag.Parse
// does, except that a bad flag or value, or an argument left after the flags (the tools take
// none), is BadInput; -h prints the usage and exits 0.
func Parse(tool string, fs *flag.FlagSet, args []string) {
	fs.Init(tool, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(os.Stderr)
		fmt.Fprintf(os.Stderr, "Usage of %s:\n", tool)
		fs.PrintDefaults()
		os.Exit(0)
	}
	if err != nil {
		BadInput(tool, explain(fs, err))
	}
	if fs.NArg() > 0 {
		BadInput(tool, fmt.Errorf("unexpected argument %q: %s takes flags only (%s)", fs.Arg(0), tool, flagNames(fs)))
	}
}

// explain adds to flag's "flag provided but not defined: -x" the flags there are.
func explain(fs *flag.FlagSet, err error) error {
	if strings.HasPrefix(err.Error(), "flag provided but not defined") {
		return fmt.Errorf("%w; its flags: %s", err, flagNames(fs))
	}
	return err
}

func flagNames(fs *flag.FlagSet) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, "-"+f.Name) })
	slices.Sort(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// BadInput reports err, which the user's input caused (a flag, a setting), on one line and
// exits 2, the exit status of bad input: scripts tell it from a failure (1).
func BadInput(tool string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", tool, err)
	os.Exit(2)
}
