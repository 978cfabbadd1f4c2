// Package synthetic makes the requests `make produce N=...` sends and `make wait-ready
// PROCESSED=N` waits for: each depends only on its id prefix and index, so the two commands
// agree on the ids without sharing anything but the prefix and the count.
package synthetic

import (
	"fmt"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
)

// DefaultPrefix is the id prefix produce and verify use unless told otherwise.
const DefaultPrefix = "synthetic-"

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
