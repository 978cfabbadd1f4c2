// Package synthetic makes the requests `make produce N=...` sends and `make wait-ready
// PROCESSED=N` waits for: each depends only on its id prefix and index, so the two commands
// agree on the ids without sharing anything but the prefix and the count. Each produce run
// takes a prefix no earlier run used and records it (Record) for verify (Recorded): results
// an earlier run left in the same table or log then cannot pass for this run's.
package synthetic

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
)

// RunFile is where produce records its run's prefix and verify finds it, relative to
// orchestrator/, where make runs both: beside the log `make run` writes.
const RunFile = "../.run/synthetic-prefix"

// NewPrefix is the id prefix of a run started at now: the time in seconds says which run an
// id in a log or table came from; the random part keeps two runs in one second apart.
func NewPrefix(now time.Time) string {
	return fmt.Sprintf("synthetic-%s-%08x-", now.UTC().Format("20060102T150405Z"), rand.Uint32())
}

// Record writes prefix to path, for Recorded.
func Record(path, prefix string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(prefix+"\n"), 0o644)
}

// Recorded is the prefix the last Record wrote to path.
func Recorded(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no produce run recorded in %s: send the requests first (make produce N=...), or name their prefix with -prefix", path)
	}
	if err != nil {
		return "", err
	}
	prefix := strings.TrimSpace(string(raw))
	if prefix == "" {
		return "", fmt.Errorf("%s records no prefix", path)
	}
	return prefix, nil
}

// ID is the id of the i-th synthetic request: prefix and i in six digits, so ids sort by index.
func ID(prefix string, i int) string {
	return fmt.Sprintf("%s%06d", prefix, i)
}

// Request is the i-th synthetic request. Its features vary with i, so that scores differ, and
// the same prefix and index always give the same request.
func Request(prefix string, i int) *scoringv1.ScoreRequest {
	channels := []string{"pos", "web", "app"}
	countries := []string{"US", "GB", "NG", "DE", "BR"}
	categories := []string{"grocery", "electronics", "digital_goods", "travel"}
	return &scoringv1.ScoreRequest{
		Id: ID(prefix, i),
		NumericFeatures: map[string]float64{
			"amount":                float64(i%5000) + 0.99,
			"avg_amount_30d":        float64(i%700) + 10,
			"account_age_days":      float64(i % 3650),
			"txn_count_24h":         float64(i % 30),
			"distance_from_home_km": float64(i * 37 % 8000),
			"hour_of_day":           float64(i % 24),
		},
		CategoricalFeatures: map[string]string{
			"channel":           channels[i%len(channels)],
			"country":           countries[i%len(countries)],
			"merchant_category": categories[i%len(categories)],
		},
	}
}
