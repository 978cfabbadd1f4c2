// Command gen writes the compiled form of a model file (see benchmodel.Generate); run it
// through `go generate ./internal/benchmodel` after changing the worker's model.json.
package main

import (
	"flag"
	"fmt"
	"os"

	"example.com/sqs-dynamodb/orchestrator/internal/benchmodel"
)

func main() {
	model := flag.String("model", "", "model.json to compile")
	out := flag.String("out", "", "Go file to write")
	flag.Parse()
	if err := run(*model, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(model, out string) error {
	data, err := os.ReadFile(model)
	if err != nil {
		return err
	}
	src, err := benchmodel.Generate(data)
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}
