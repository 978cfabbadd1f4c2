package cmdline_test

// presetToolCases are the bad inputs of the HTTP preset's own tools.
func presetToolCases() map[string][]badInput {
	return map[string][]badInput{
		"smoke": {
			{args: []string{"-wait", "long"}, want: `smoke: invalid value "long" for flag -wait`},
			{args: []string{"-bas", "http://127.0.0.1:1"}, want: "smoke: flag provided but not defined: -bas; its flags: -base, -vectors, -wait"},
			{args: []string{"http://127.0.0.1:1"}, want: `smoke: unexpected argument "http://127.0.0.1:1"`},
		},
	}
}
