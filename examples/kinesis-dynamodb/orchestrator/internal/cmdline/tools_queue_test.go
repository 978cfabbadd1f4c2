package cmdline_test

import (
	"strconv"

	"example.com/kinesis-dynamodb/orchestrator/internal/synthetic"
)

// presetToolCases are the bad inputs of the queue presets' own tools.
func presetToolCases() map[string][]badInput {
	overCount := strconv.Itoa(synthetic.MaxCount + 1)
	countRange := "want a whole number from 0 to " + strconv.Itoa(synthetic.MaxCount)
	return map[string][]badInput{
		"bootstrap": {
			{env: []string{"LOG_LEVEL=loud"}, want: "bootstrap: " + badSetting},
			{args: []string{"-queue", "x"}, want: "bootstrap: flag provided but not defined: -queue; its flags: none"},
			{args: []string{"now"}, want: `bootstrap: unexpected argument "now": bootstrap takes flags only (none)`},
		},
		"produce": {
			{args: []string{"-count", "99999999999999999999"}, want: countRange},
			{args: []string{"-count", overCount}, want: `produce: invalid value "` + overCount + `" for flag -count: ` + countRange},
			{args: []string{"-nope"}, want: "produce: flag provided but not defined: -nope; its flags: -count,"},
			{args: []string{"-poison", "vectors.json"}, want: `produce: unexpected argument "vectors.json"`},
			{args: []string{"-count", "1"}, env: []string{"LOG_LEVEL=loud"}, want: "produce: " + badSetting},
		},
		"verify": {
			{args: []string{"-count", overCount}, want: `verify: invalid value "` + overCount + `" for flag -count: ` + countRange},
			{args: []string{"-wait", "soon"}, want: `verify: invalid value "soon" for flag -wait`},
			{args: []string{"-nope"}, want: "verify: flag provided but not defined: -nope; its flags: -count,"},
			{args: []string{"-dlq", "extra"}, want: `verify: unexpected argument "extra"`},
			{args: []string{"-count", "1"}, env: []string{"LOG_LEVEL=loud"}, want: "verify: " + badSetting},
		},
	}
}
