package synthetic

import (
	"strconv"
	"testing"
)

func TestCountTakesZeroToMaxCountOnly(t *testing.T) {
	for _, v := range []string{"0", "1", strconv.Itoa(MaxCount)} {
		var c Count
		if err := c.Set(v); err != nil || c.String() != v {
			t.Errorf("Set(%q) = %v, holding %s", v, err, c.String())
		}
	}
	for _, v := range []string{strconv.Itoa(MaxCount + 1), "99999999999999999999", "-1", "1e3", "abc", ""} {
		var c Count
		if err := c.Set(v); err == nil {
			t.Errorf("Set(%q) took it, want an error", v)
		}
	}
}
