package config

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeHasSample keeps the README's sample config identical to the one
// `shdmc config sample` prints.
func TestReadmeHasSample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want := "```yaml\n" + strings.TrimRight(string(Sample()), "\n") + "\n```"
	if !strings.Contains(string(readme), want) {
		t.Fatal("README.md does not contain the output of `shdmc config sample` verbatim; paste it again")
	}
}
