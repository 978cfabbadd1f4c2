package cmdline_test

// presetToolCases are the bad inputs of the HTTP preset's own tools.
func presetToolCases() map[string][]badInput {
	const worker = "WORKER_SCORER_ADDR=127.0.0.1:1"
	return map[string][]badInput{
		// Its worker set where the case is not about it, so each fails for its own reason.
		"gateway": {
			{args: []string{"foo"}, env: []string{worker}, want: `gateway: unexpected argument "foo"`},
			{env: []string{"LISTEN_ADDR="}, want: "gateway: LISTEN_ADDR and WORKER_SCORER_ADDR must be set"},
			{env: []string{"WORKER_SCORER_ADDR=127.0.0.1:1,127.0.0.1:2"}, want: `gateway: WORKER_SCORER_ADDR="127.0.0.1:1,127.0.0.1:2": the gateway takes one address, not a list`},
			{env: []string{worker, "LOG_LEVEL=loud"}, want: "gateway: " + badSetting},
		},
		"smoke": {
			{args: []string{"-wait", "long"}, want: `smoke: invalid value "long" for flag -wait`},
			{args: []string{"-bas", "http://127.0.0.1:1"}, want: "smoke: flag provided but not defined: -bas; its flags: -base, -vectors, -wait"},
			{args: []string{"http://127.0.0.1:1"}, want: `smoke: unexpected argument "http://127.0.0.1:1"`},
		},
	}
}
