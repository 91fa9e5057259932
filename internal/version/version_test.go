package version

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFromBuildInfo(t *testing.T) {
	const rev = "406d5c34fbeaa3a82ec5ea4f7f632cd08d95c7bc"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "-trimpath", Value: "true"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: "2026-12-04T05:23:10Z"},
			{Key: "vcs.modified", Value: modified},
		}
	}
	when := time.Date(2026, 12, 4, 5, 23, 10, 0, time.UTC)
	tests := []struct {
		name                 string
		bi                   *debug.BuildInfo
		linkVersion, linkRev string
		want                 Info
		wantString           string
	}{
		{
			name:       "tagged release from a clean clone",
			bi:         &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.0"}, Settings: vcs("false")},
			want:       Info{Version: "v0.3.0", Revision: rev, Time: when, GoVersion: "go1.26.8"},
			wantString: "shdmc v0.3.0 (406d5c3) go1.26.8",
		},
		{
			name:       "tag with uncommitted changes",
			bi:         &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.0+dirty"}, Settings: vcs("true")},
			want:       Info{Version: "v0.3.0", Revision: rev, Time: when, Modified: true, GoVersion: "go1.26.8"},
			wantString: "shdmc v0.3.0 (406d5c3, dirty) go1.26.8",
		},
		{
			name: "untagged commit: pseudo-version",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8",
				Main: debug.Module{Version: "v0.0.0-20261204052310-406d5c34fbea+dirty"}, Settings: vcs("true")},
			want: Info{Version: "v0.0.0-20261204052310-406d5c34fbea", Revision: rev, Time: when, Modified: true,
				GoVersion: "go1.26.8"},
			wantString: "shdmc v0.0.0-20261204052310-406d5c34fbea (406d5c3, dirty) go1.26.8",
		},
		{
			name:       "go install module@version: no VCS settings",
			bi:         &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.0"}},
			want:       Info{Version: "v0.3.0", GoVersion: "go1.26.8"},
			wantString: "shdmc v0.3.0 go1.26.8",
		},
		{
			name:       "go run or -buildvcs=false: nothing known",
			bi:         &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			want:       Info{GoVersion: "go1.26.8"},
			wantString: "shdmc (devel) go1.26.8",
		},
		{
			name:        "container build without .git: link-time values",
			bi:          &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			linkVersion: "v0.3.0", linkRev: rev,
			want:       Info{Version: "v0.3.0", Revision: rev, GoVersion: "go1.26.8"},
			wantString: "shdmc v0.3.0 (406d5c3) go1.26.8",
		},
		{
			name:        "build info wins over link-time values",
			bi:          &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.1"}, Settings: vcs("false")},
			linkVersion: "v0.3.0", linkRev: "0123456789",
			want:       Info{Version: "v0.3.1", Revision: rev, Time: when, GoVersion: "go1.26.8"},
			wantString: "shdmc v0.3.1 (406d5c3) go1.26.8",
		},
		{
			name:       "malformed time and short revision",
			bi:         &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.time", Value: "yesterday"}}},
			want:       Info{Revision: "abc", GoVersion: "go1.26.8"},
			wantString: "shdmc (devel) (abc) go1.26.8",
		},
		{
			name:       "no build info",
			want:       Info{GoVersion: runtime.Version()},
			wantString: "shdmc (devel) " + runtime.Version(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fromBuildInfo(tt.bi, tt.linkVersion, tt.linkRev)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fromBuildInfo (-want +got):\n%s", diff)
			}
			if s := got.String(); s != tt.wantString {
				t.Errorf("String() = %q, want %q", s, tt.wantString)
			}
		})
	}
}

func TestRead(t *testing.T) {
	got := Read()
	if got.GoVersion != runtime.Version() {
		t.Errorf("Read().GoVersion = %q, want %q", got.GoVersion, runtime.Version())
	}
	if s := got.String(); !strings.HasPrefix(s, "shdmc ") || !strings.HasSuffix(s, " "+runtime.Version()) {
		t.Errorf("Read().String() = %q", s)
	}
}

// TestLinkTimeValues builds a program with the -X flags that the README
// and the Dockerfile document, so that a renamed variable fails here
// rather than silently in a release.
func TestLinkTimeValues(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	bin := filepath.Join(t.TempDir(), "printversion")
	const pkg = "github.com/shdmc/shdmc/internal/version"
	rev := strings.Repeat("0123456789abcdef", 2) + "01234567"
	cmd := exec.Command(gobin, "build", "-buildvcs=false",
		"-ldflags", "-s -w -X "+pkg+".version=v9.8.7 -X "+pkg+".revision="+rev,
		"-o", bin, "testdata/printversion.go")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	want := "v9.8.7|" + rev + "|shdmc v9.8.7 (0123456) " + runtime.Version() + "\n"
	if string(out) != want {
		t.Errorf("output = %q, want %q", out, want)
	}
}
