package serve

import (
	"strings"
	"unicode"
)

// diffLine is one line of a line diff: Op is "=" (same), "-" (only in the
// older revision) or "+" (only in the newer one). Segs, set by markWords,
// is Text with the words that changed marked.
type diffLine struct {
	Op, Text string
	Segs     []diffSeg
}

// maxDiffCells bounds the LCS table; larger inputs are shown as a whole
// removal and addition.
const maxDiffCells = 4_000_000

// diffLines is a longest-common-subsequence line diff of a and b.
func diffLines(a, b []string) []diffLine {
	if len(a)*len(b) > maxDiffCells {
		out := make([]diffLine, 0, len(a)+len(b))
		for _, l := range a {
			out = append(out, diffLine{Op: "-", Text: l})
		}
		for _, l := range b {
			out = append(out, diffLine{Op: "+", Text: l})
		}
		return out
	}
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	w := len(b) + 1
	lcs := make([]int, (len(a)+1)*w)
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	var out []diffLine
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			out = append(out, diffLine{Op: "=", Text: a[i]})
			i++
			j++
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			out = append(out, diffLine{Op: "-", Text: a[i]})
			i++
		default:
			out = append(out, diffLine{Op: "+", Text: b[j]})
			j++
		}
	}
	for ; i < len(a); i++ {
		out = append(out, diffLine{Op: "-", Text: a[i]})
	}
	for ; j < len(b); j++ {
		out = append(out, diffLine{Op: "+", Text: b[j]})
	}
	return out
}

// diffSeg is a piece of a diff line; Mark is set on the words that differ
// from the line it replaces.
type diffSeg struct {
	Text string
	Mark bool
}

// diffBlock is a run of diff lines to show, or (Fold) a run of unchanged
// lines shown collapsed under Label.
type diffBlock struct {
	Lines []diffLine
	Fold  bool
	Label string
}

// diffContext is how many unchanged lines are shown around a change.
const diffContext = 2

// foldDiff marks the changed words of replaced lines and folds every run
// of unchanged lines farther than diffContext from a change.
func foldDiff(v view, lines []diffLine) []diffBlock {
	markWords(lines)
	near := make([]bool, len(lines))
	for i, l := range lines {
		if l.Op == "=" {
			continue
		}
		for k := max(i-diffContext, 0); k <= min(i+diffContext, len(lines)-1); k++ {
			near[k] = true
		}
	}
	var out []diffBlock
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && near[j] == near[i] {
			j++
		}
		b := diffBlock{Lines: lines[i:j]}
		if !near[i] {
			b.Fold = true
			b.Label = v.N("item.unchanged", j-i)
			if j-i == 1 {
				b.Label = v.T("item.unchangedOne")
			}
		}
		out = append(out, b)
		i = j
	}
	return out
}

// markWords pairs each run of removed lines with the run of added lines
// after it and marks, line by line, the words that differ; lines that
// share too little are left unmarked (the whole line is the change).
func markWords(lines []diffLine) {
	for i := range lines {
		lines[i].Segs = []diffSeg{{Text: lines[i].Text}}
	}
	for i := 0; i < len(lines); {
		if lines[i].Op != "-" {
			i++
			continue
		}
		j := i
		for j < len(lines) && lines[j].Op == "-" {
			j++
		}
		k := j
		for k < len(lines) && lines[k].Op == "+" {
			k++
		}
		for n := 0; n < j-i && n < k-j; n++ {
			lines[i+n].Segs, lines[j+n].Segs = wordDiff(lines[i+n].Text, lines[j+n].Text)
		}
		i = k
	}
}

// maxWordCells bounds the LCS table of a word diff.
const maxWordCells = 250_000

// wordDiff returns a and b as segments with the words that differ
// marked, or each as one unmarked segment when they share less than a
// third of their words.
func wordDiff(a, b string) ([]diffSeg, []diffSeg) {
	whole := func() ([]diffSeg, []diffSeg) { return []diffSeg{{Text: a}}, []diffSeg{{Text: b}} }
	ta, tb := tokens(a), tokens(b)
	if len(ta)*len(tb) > maxWordCells || len(ta) == 0 || len(tb) == 0 {
		return whole()
	}
	w := len(tb) + 1
	lcs := make([]int, (len(ta)+1)*w)
	for i := len(ta) - 1; i >= 0; i-- {
		for j := len(tb) - 1; j >= 0; j-- {
			if ta[i] == tb[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	if 3*lcs[0] < max(len(ta), len(tb)) {
		return whole()
	}
	keepA, keepB := make([]bool, len(ta)), make([]bool, len(tb))
	for i, j := 0, 0; i < len(ta) && j < len(tb); {
		switch {
		case ta[i] == tb[j]:
			keepA[i], keepB[j] = true, true
			i++
			j++
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			i++
		default:
			j++
		}
	}
	return segs(ta, keepA), segs(tb, keepB)
}

// segs joins tokens into segments, marking the ones not kept; white space
// between two marked words is marked with them.
func segs(toks []string, keep []bool) []diffSeg {
	var out []diffSeg
	for i, t := range toks {
		mark := !keep[i]
		if keep[i] && strings.TrimSpace(t) == "" && i > 0 && i+1 < len(toks) && !keep[i-1] && !keep[i+1] {
			mark = true
		}
		if n := len(out); n > 0 && out[n-1].Mark == mark {
			out[n-1].Text += t
			continue
		}
		out = append(out, diffSeg{Text: t, Mark: mark})
	}
	return out
}

// tokens splits a line into words (runs of letters and digits), runs of
// white space, and single other characters; a Japanese or Chinese
// character is a word of its own, since those scripts have no spaces.
func tokens(s string) []string {
	var out []string
	kind := func(r rune) int {
		switch {
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana):
			return 3
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			return 1
		case unicode.IsSpace(r):
			return 2
		}
		return 4
	}
	start, prev := 0, -1
	for i, r := range s {
		k := kind(r)
		if i > start && (k != prev || k >= 3) {
			out = append(out, s[start:i])
			start = i
		}
		prev = k
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
