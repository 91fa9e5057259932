package main

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
)

// TestMain runs main instead of the tests when the test binary is started
// as the health check by TestExitStatus.
func TestMain(m *testing.M) {
	if os.Getenv("SHDMC_HEALTHCHECK_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestExitStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte("ok\n"))
		case "/readyz":
			http.Error(w, "not ready", http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0") // a port nobody listens on
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/healthz"
	l.Close()

	tests := []struct {
		name, url string
		wantCode  int
	}{
		{"healthy", srv.URL + "/healthz", 0},
		{"503", srv.URL + "/readyz", 1},
		{"404", srv.URL + "/nothing", 1},
		{"nobody listening", closed, 1},
		{"bad URL", "http://[::1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "SHDMC_HEALTHCHECK_TEST_MAIN=1", "SHDMC_HEALTHCHECK_URL="+tt.url,
				"HTTP_PROXY=http://127.0.0.1:1", "NO_PROXY=") // never through a proxy
			out, err := cmd.CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Errorf("exit status %d, want %d; output: %s", code, tt.wantCode, out)
			}
			if (code == 0) != (len(out) == 0) {
				t.Errorf("output %q with exit status %d: want a message exactly on failure", out, code)
			}
		})
	}
}
