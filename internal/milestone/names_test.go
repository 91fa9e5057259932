package milestone

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseKey(t *testing.T) {
	tests := []struct {
		key  string
		want Milestone
		n    int
	}{
		{"Targeted Release: rollout begins", Milestone{Ring: RingTargeted, Phase: PhaseBegin}, 1},
		{"General Availability (GCC High): rollout complete", Milestone{Ring: RingGA, Cloud: CloudGCCHigh, Phase: PhaseComplete}, 1},
		{"Current Channel (Preview): rollout", Milestone{Ring: "Current Channel (Preview)", Phase: PhaseRollout}, 1},
		{"Current Channel (Preview) (DoD) [Desktop, Web]: rollout #2", Milestone{Ring: "Current Channel (Preview)", Cloud: CloudDoD, Platform: "Desktop, Web", Phase: PhaseRollout}, 2},
		{"Worldwide [Desktop, Web]: rollout", Milestone{Cloud: CloudWorldwide, Platform: "Desktop, Web", Phase: PhaseRollout}, 1},
		{"Desktop, Mac: rollout begins", Milestone{Platform: "Desktop, Mac", Phase: PhaseBegin}, 1},
		{"GCC: retirement", Milestone{Cloud: CloudGCC, Phase: PhaseRetire}, 1},
		{"Retirement", Milestone{Phase: PhaseRetire}, 1},
		{"Rollout complete #3", Milestone{Phase: PhaseComplete}, 3},
		{"Date", Milestone{Phase: PhaseDate}, 1},
	}
	for _, tt := range tests {
		m, n, ok := ParseKey(tt.key)
		if !ok || n != tt.n {
			t.Errorf("ParseKey(%q) = %+v, %d, %v", tt.key, m, n, ok)
			continue
		}
		if diff := cmp.Diff(tt.want, m); diff != "" {
			t.Errorf("ParseKey(%q) (-want +got):\n%s", tt.key, diff)
		}
	}
	for _, bad := range []string{"", "Something else", "Targeted Release: shipping", "Foo (GCC): rollout", "Targeted Release (Mars): rollout", "Unknown ring: rollout"} {
		if m, _, ok := ParseKey(bad); ok {
			t.Errorf("ParseKey(%q) = %+v; want not ok", bad, m)
		}
	}
	// Every name Parse gives reads back.
	keys := 0
	for _, dir := range []string{"corpus", "heldout"} {
		for _, c := range loadCorpus(t, dir) {
			for _, k := range Keys(Parse(&c.msg)) {
				keys++
				if _, _, ok := ParseKey(k); !ok {
					t.Errorf("%s: key %q does not read back", c.name, k)
				}
			}
		}
	}
	if keys < 100 {
		t.Errorf("only %d keys in the corpus", keys)
	}
}
