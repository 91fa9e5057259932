package store

import "testing"

func TestBatchRows(t *testing.T) {
	for _, tt := range []struct{ n, cols, want int }{
		{1, 10, 1},
		{3, 10, 2},
		{64, 10, 64},
		{203, 10, 64},
		{100, 18, 32}, // 999/18 = 55 rows fit: 32
		{1000, 2, 64},
		{7, 200, 4},  // 999/200 = 4
		{5, 1000, 1}, // never fewer than one row
	} {
		if got := batchRows(tt.n, tt.cols); got != tt.want {
			t.Errorf("batchRows(%d, %d) = %d, want %d", tt.n, tt.cols, got, tt.want)
		}
	}
	// Any number of rows takes at most log2(maxBatchRows)+1 distinct
	// statement sizes, and all rows.
	for n := 1; n <= 300; n++ {
		sizes := map[int]bool{}
		done := 0
		for done < n {
			k := batchRows(n-done, 10)
			sizes[k] = true
			done += k
		}
		if done != n || len(sizes) > 7 {
			t.Fatalf("%d rows: wrote %d in sizes %v", n, done, sizes)
		}
	}
}

func TestBatchText(t *testing.T) {
	var bt batchTexts
	for _, tt := range []struct {
		anon bool
		want string
	}{
		{false, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6) ON CONFLICT DO NOTHING"},
		{true, "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?) ON CONFLICT DO NOTHING"},
	} {
		for range 2 { // the second comes from the memo
			if got := bt.text("INSERT INTO t (a, b)", " ON CONFLICT DO NOTHING", 2, 3, tt.anon); got != tt.want {
				t.Errorf("text(anon %v) = %q, want %q", tt.anon, got, tt.want)
			}
		}
	}
}
