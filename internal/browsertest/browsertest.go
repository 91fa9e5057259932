// Package browsertest starts the headless Chromium that scripts/lib/browser.sh
// installs, for the tests that check rendered output in a real browser
// (Teams cards, email bodies, the dashboard, the static site). It is
// imported by tests only.
package browsertest

import (
	"context"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

// Env returns the values of the environment variables that
// scripts/lib/browser.sh exports (SHDMC_CHROMIUM, SHDMC_ADAPTIVECARDS_JS,
// …), each naming a file that must exist. When one is unset the test fails
// under CI (CI=true) and is skipped elsewhere, saying how to get it.
func Env(t testing.TB, names ...string) []string {
	t.Helper()
	vals := make([]string, len(names))
	for i, n := range names {
		vals[i] = os.Getenv(n)
		if vals[i] == "" {
			msg := n + " is not set: run `source scripts/lib/browser.sh` first (it installs chromium and adaptivecards@3.0.x)"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		if _, err := os.Stat(vals[i]); err != nil {
			t.Fatalf("%s: browser part missing (scripts/lib/browser.sh installs it): %v", n, err)
		}
	}
	return vals
}

// Chromium returns the browser executable (Env of SHDMC_CHROMIUM).
func Chromium(t testing.TB) string { return Env(t, "SHDMC_CHROMIUM")[0] }

// New starts a headless Chromium for the test, with a fresh profile, no
// sandbox (tests run as root), nothing that reaches the network on its own,
// and every host name but 127.0.0.1 failing to resolve, so a page can only
// load from loopback or file://. It returns a browser context that ends with
// ctx or at the end of the test; opts adds options such as a window size.
func New(ctx context.Context, t testing.TB, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	all := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
	}, opts...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, all...)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return browser
}
