package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestPreview prints the notice of an item of the demo's store in every
// format, as the channel of that format would receive it.
func TestPreview(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := run(t, "demo", "--duration", "0", "--dir", dir); err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite://" + filepath.Join(dir, "shdmc.db")
	preview := func(t *testing.T, args ...string) string {
		t.Helper()
		out, errOut, err := run(t, append([]string{"preview", "--store", dsn, "-c", filepath.Join(dir, "none.yaml")}, args...)...)
		if err != nil {
			t.Fatalf("preview %v: %v\n%s", args, err, errOut)
		}
		return out
	}
	t.Run("text", func(t *testing.T) {
		out := preview(t, "MO560384")
		for _, want := range []string{"[postIncidentReviewPublished] MO560384 | Microsoft 365 suite", "Status:          Post-incident report published ← Service restored",
			"Tenant:          Demo tenant (demo-1)", "Post-incident report (Microsoft 365 admin center): https://admin.microsoft.com/"} {
			if !strings.Contains(out, want) {
				t.Errorf("preview lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("japanese short", func(t *testing.T) {
		out := preview(t, "MO560384", "--language", "ja", "--mode", "translated", "--template", "short", "--time-zone", "Asia/Tokyo", "--demo-translations")
		for _, want := range []string{"[インシデント後のレポートが公開されました] MO560384", "テナント：", "最終状況：", "ロールバックによって影響が解消され", "検出 2023年5月24日(水) 0:00 JST"} {
			if !strings.Contains(out, want) {
				t.Errorf("preview lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "（原文）") || strings.Contains(out, "影響範囲") {
			t.Errorf("short Japanese preview shows untranslated or full text:\n%s", out)
		}
	})
	t.Run("without a translator", func(t *testing.T) {
		out := preview(t, "EX559755", "--language", "ja", "--mode", "translated")
		if !strings.Contains(out, "（原文）") || !strings.Contains(out, "本文は翻訳されていません") || strings.Contains(out, "機械翻訳です") {
			t.Errorf("an untranslated preview must say so:\n%s", out)
		}
	})
	t.Run("html", func(t *testing.T) {
		out := preview(t, "MC599001", "--format", "html", "--language", "ja", "--demo-translations")
		if !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, `<html lang="ja">`) || !strings.Contains(out, "変更内容") {
			t.Errorf("html preview:\n%.600s", out)
		}
	})
	for _, tc := range []struct{ format, want string }{
		{"card", `"contentType": "application/vnd.microsoft.card.adaptive"`},
		{"slack", `"blocks": [`},
		{"json", `"notice": {`},
		{"markdown", `**\[Plan for change · High · Major update\] MC599001`},
	} {
		t.Run(tc.format, func(t *testing.T) {
			out := preview(t, "MC599001", "--format", tc.format)
			if !strings.Contains(out, tc.want) {
				t.Errorf("%s preview lacks %q:\n%.800s", tc.format, tc.want, out)
			}
			if tc.format != "markdown" && !json.Valid([]byte(out)) {
				t.Errorf("%s preview is not JSON:\n%.300s", tc.format, out)
			}
		})
	}
	for _, args := range [][]string{{"EX000000"}, {"EX559755", "--format", "pdf"}, {"EX559755", "--template", "long"}, {"EX559755", "--language", "xx-notalanguage!"}} {
		if _, _, err := run(t, append([]string{"preview", "--store", dsn, "-c", filepath.Join(dir, "none.yaml")}, args...)...); err == nil {
			t.Errorf("preview %v succeeded", args)
		}
	}
}
