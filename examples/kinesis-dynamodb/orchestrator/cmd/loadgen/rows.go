package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// readRows decodes each file of files (comma-separated) as one T, in the order given: what
// the bench's separate runs (a tracing variant, a coalescing variant, a grpc-gateway run, a
// model round) wrote for the final report.
func readRows[T any](files string) ([]T, error) {
	var rows []T
	for _, path := range strings.Split(files, ",") {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var row T
		if err := json.Unmarshal(data, &row); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// byVariant groups runs by their variant, the variants in the order of their first run: the
// bench alternates variants run by run, so run i of each met the same moment of the machine.
func byVariant[T any](runs []T, variant func(T) string) (order []string, groups map[string][]T) {
	groups = map[string][]T{}
	for _, run := range runs {
		v := variant(run)
		if _, seen := groups[v]; !seen {
			order = append(order, v)
		}
		groups[v] = append(groups[v], run)
	}
	return order, groups
}
