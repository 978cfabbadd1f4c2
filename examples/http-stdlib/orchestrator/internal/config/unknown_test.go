package config

import (
	"reflect"
	"testing"
)

// A setting of another ingress's orchestrator, set here (for another deployment, or left from
// a change of ingress), is reported as that ingress's: not refused, and not taken for a typo
// of a setting of this one's (SHUTDOWN_DELAY is no misspelt SHUTDOWN_TIMEOUT).
func TestLoadReportsAnotherIngresssSettings(t *testing.T) {
	if len(foreignSettings) == 0 {
		t.Fatal("no settings of other ingresses rendered: the generator has three ingresses")
	}
	for _, f := range foreignSettings {
		t.Run(f.Name, func(t *testing.T) {
			if f.Ingress == "" {
				t.Errorf("%s names no ingress that reads it", f.Name)
			}
			for _, s := range settings {
				if s.name == f.Name {
					t.Fatalf("%s is this orchestrator's own setting, not another ingress's", f.Name)
				}
			}
			cfg, err := Load(env(map[string]string{f.Name: "x"}))
			if err != nil {
				t.Fatalf("Load() refused %s (%v); want it started and the variable reported", f.Name, err)
			}
			if want := []Foreign{f}; !reflect.DeepEqual(cfg.Foreign, want) {
				t.Errorf("Load().Foreign = %+v, want %+v", cfg.Foreign, want)
			}
			if cfg.Unknown != nil {
				t.Errorf("Load().Unknown = %+v, want none: %s is another ingress's setting, not a typo", cfg.Unknown, f.Name)
			}
		})
	}
}
