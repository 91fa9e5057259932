// Command shdmc-healthcheck is the container image's HEALTHCHECK: the image
// has no shell and no curl, so this small static program asks the
// dashboard's /healthz and exits 0 when it answers 200, 1 otherwise.
// SHDMC_HEALTHCHECK_URL overrides the address (default
// http://127.0.0.1:8080/healthz, serve.addr's default port).
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	url := os.Getenv("SHDMC_HEALTHCHECK_URL")
	if url == "" {
		url = "http://127.0.0.1:8080/healthz"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// No proxy: the check is about this container, whatever HTTPS_PROXY says.
	hc := &http.Client{Transport: &http.Transport{Proxy: nil}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err == nil {
		var resp *http.Response
		if resp, err = hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("%s", resp.Status)
		}
	}
	fmt.Fprintf(os.Stderr, "shdmc-healthcheck: %s: %v\n", url, err)
	os.Exit(1)
}
