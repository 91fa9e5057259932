// Package version tells which build of shdmc is running: the module
// version, the VCS revision and time, whether the work tree had
// uncommitted changes, and the Go version, as the Go toolchain records
// them in the binary (runtime/debug.ReadBuildInfo).
//
// `go build` in a git clone records all of them (Go 1.24 and later set the
// module version from the tag, or a pseudo-version); `go install
// module@version` records the version. Builds without the repository (a
// container image built from a copy of the sources, a distribution
// package) can set them at link time instead:
//
//	go build -ldflags "-X github.com/shdmc/shdmc/internal/version.version=v0.3.0 \
//	    -X github.com/shdmc/shdmc/internal/version.revision=$(git rev-parse HEAD)"
package version

import (
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Set at link time with -X for builds that carry no VCS information; the
// build info wins where it has a value. They are never written at run time.
var (
	version  string
	revision string
)

// Info describes one build.
type Info struct {
	// Version is the module version ("v0.3.0", or a pseudo-version such as
	// "v0.0.0-20260101120000-abcdef123456"), without the "+dirty" suffix
	// the toolchain adds (see Modified); "" when unknown.
	Version string
	// Revision is the full VCS commit hash; "" when unknown.
	Revision string
	// Time is the commit time of Revision; zero when unknown.
	Time time.Time
	// Modified is true when the work tree had uncommitted changes.
	Modified bool
	// GoVersion is the toolchain that built the binary, e.g. "go1.26.8".
	GoVersion string
}

// Read returns the running binary's build information.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return fromBuildInfo(bi, version, revision)
}

// fromBuildInfo builds an Info from the toolchain's record (nil when there
// is none) and the link-time values.
func fromBuildInfo(bi *debug.BuildInfo, linkVersion, linkRevision string) Info {
	i := Info{Version: linkVersion, Revision: linkRevision, GoVersion: runtime.Version()}
	if bi == nil {
		return i
	}
	if bi.GoVersion != "" {
		i.GoVersion = bi.GoVersion
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		i.Version = strings.TrimSuffix(v, "+dirty")
		i.Modified = i.Modified || strings.HasSuffix(v, "+dirty")
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.time":
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				i.Time = t
			}
		case "vcs.modified":
			i.Modified = s.Value == "true"
		}
	}
	return i
}

// ShortRevision returns the first 7 characters of Revision.
func (i Info) ShortRevision() string {
	if len(i.Revision) > 7 {
		return i.Revision[:7]
	}
	return i.Revision
}

// String returns one line such as "shdmc v0.3.0 (abc1234, dirty) go1.26.8";
// an unknown version reads "(devel)", and the parentheses are left out
// when there is neither a revision nor a dirty flag.
func (i Info) String() string {
	var b strings.Builder
	b.WriteString("shdmc ")
	if i.Version != "" {
		b.WriteString(i.Version)
	} else {
		b.WriteString("(devel)")
	}
	var extra []string
	if r := i.ShortRevision(); r != "" {
		extra = append(extra, r)
	}
	if i.Modified {
		extra = append(extra, "dirty")
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, ", ") + ")")
	}
	b.WriteString(" " + i.GoVersion)
	return b.String()
}
