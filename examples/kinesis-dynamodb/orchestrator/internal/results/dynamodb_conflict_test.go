package results

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
)

func TestFingerprintIgnoresMapOrderButNotContent(t *testing.T) {
	one := &scoringv1.ScoreRequest{Id: "a", NumericFeatures: map[string]float64{"x": 1, "y": 2, "z": 3}}
	two := &scoringv1.ScoreRequest{Id: "a", NumericFeatures: map[string]float64{"z": 3, "y": 2, "x": 1}}
	other := &scoringv1.ScoreRequest{Id: "a", NumericFeatures: map[string]float64{"x": 1, "y": 2, "z": 4}}
	f1, _ := Fingerprint(one)
	for range 20 { // Map iteration order is random: equal every time, not by luck.
		if f2, _ := Fingerprint(two); f1 != f2 {
			t.Fatalf("same request, fingerprints %s and %s", f1, f2)
		}
	}
	if f3, _ := Fingerprint(other); f1 == f3 {
		t.Error("different requests, same fingerprint")
	}
}

func TestDynamoDBTreatsARedeliveryAsStoredAndKeepsTheResult(t *testing.T) {
	for _, noOld := range []bool{false, true} {
		table := &fakeTable{noOld: noOld}
		first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := sink(table, first).Put(context.Background(), []Entry{entry("a", 1, 0.1)}); err != nil {
			t.Fatal(err)
		}
		// A redelivery, rescored by a newer model an hour later.
		got, err := sink(table, first.Add(time.Hour)).Put(context.Background(), []Entry{entry("a", 1, 0.9), entry("b", 2, 0.2)})
		if err != nil || len(got.Conflicts) != 0 {
			t.Fatalf("Put() = %+v, %v; want success: the same request means already stored", got, err)
		}
		if !slices.Equal(got.StoredBefore, []int{0}) || !slices.Equal(got.Stored, []int{1}) {
			t.Errorf("noOld=%v: stored before %v, stored %v; want a (index 0) stored before and b (1) stored now", noOld, got.StoredBefore, got.Stored)
		}
		a := table.items["a"]
		if a["score"].(*types.AttributeValueMemberN).Value != "0.1" || a["scored_at"].(*types.AttributeValueMemberS).Value != "2026-01-01T00:00:00Z" {
			t.Errorf("stored result changed to %v", a)
		}
		if table.items["b"] == nil {
			t.Error("b was not stored")
		}
		if wantReads := map[bool]int{false: 0, true: 1}[noOld]; table.reads != wantReads {
			t.Errorf("noOld=%v: %d reads, want %d", noOld, table.reads, wantReads)
		}
	}
}

// The write id on the stored item tells a write of ours that landed unseen (Stored) from an
// earlier delivery's (StoredBefore), and never outweighs a different request (a Conflict).
func TestDynamoDBKnowsItsOwnWriteByItsWriteID(t *testing.T) {
	for _, noOld := range []bool{false, true} {
		s := sink(&fakeTable{noOld: noOld}, time.Now())
		for _, step := range []struct {
			writeID           string
			amount            float64
			stored, before, n int // the entries stored, stored before and in conflict
		}{
			{"w1", 1, 1, 0, 0},
			{"w1", 1, 1, 0, 0}, // the same write again, as a retry finds it landed
			{"w2", 1, 0, 1, 0},
			{"", 1, 0, 1, 0},
			{"w1", 2, 0, 0, 1},
		} {
			e := entry("a", step.amount, 0.1)
			e.WriteID = step.writeID
			got, err := s.Put(context.Background(), []Entry{e})
			if err != nil || len(got.Stored) != step.stored || len(got.StoredBefore) != step.before || len(got.Conflicts) != step.n {
				t.Errorf("noOld=%v: Put(write %q, amount %v) = %+v, %v; want %d stored, %d before, %d conflicts", noOld, step.writeID, step.amount, got, err, step.stored, step.before, step.n)
			}
		}
	}
}

func TestDynamoDBReportsAndRecordsADifferentRequestUnderAStoredID(t *testing.T) {
	for _, noOld := range []bool{false, true} {
		table := &fakeTable{noOld: noOld}
		s := sink(table, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if _, err := s.Put(context.Background(), []Entry{entry("a", 1, 0.1)}); err != nil {
			t.Fatal(err)
		}
		for range 2 { // The second time is a redelivery of the conflicting request.
			got, err := s.Put(context.Background(), []Entry{entry("b", 2, 0.2), entry("a", 999, 0.9)})
			var conflict *Conflict
			if err != nil || len(got.Conflicts) != 1 || !errors.As(got.Conflicts[1], &conflict) || conflict.ID != "a" {
				t.Fatalf("noOld=%v: Put() = %+v, %v; want a conflict on a (index 1)", noOld, got, err)
			}
			if len(got.Stored)+len(got.StoredBefore) != 1 {
				t.Errorf("noOld=%v: Put() = %+v; want b stored, now or before", noOld, got)
			}
			if !strings.Contains(conflict.Error(), "already stored for a different request") || conflict.Stored == conflict.Got {
				t.Errorf("conflict %v", conflict)
			}
		}
		a := table.items["a"]
		if a["score"].(*types.AttributeValueMemberN).Value != "0.1" {
			t.Errorf("stored result changed to %v", a)
		}
		recorded := a["conflicts"].(*types.AttributeValueMemberL).Value
		if len(recorded) != 1 {
			t.Fatalf("%d conflicts recorded, want 1 however often it is redelivered", len(recorded))
		}
		body := recorded[0].(*types.AttributeValueMemberM).Value["request"].(*types.AttributeValueMemberS).Value
		if !strings.Contains(body, "999") {
			t.Errorf("recorded request %s, want the conflicting one", body)
		}
	}
}
