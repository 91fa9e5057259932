package translate

import (
	"context"
	"fmt"

	"github.com/shdmc/shdmc/internal/store"
)

// UsageLine is one provider's work in one month, with its budget.
type UsageLine struct {
	store.TranslationUsage
	// Budget is the provider's monthly character budget; 0 means none.
	Budget int64
}

// HitRate is the share of lookups the memory answered (0–1); 0 when there
// were none.
func (u UsageLine) HitRate() float64 {
	n := u.Hits + u.Misses
	if n == 0 {
		return 0
	}
	return float64(u.Hits) / float64(n)
}

// Remaining is the budget left (never negative); -1 when there is no budget.
func (u UsageLine) Remaining() int64 {
	if u.Budget <= 0 {
		return -1
	}
	return max(u.Budget-u.Chars, 0)
}

// Usage returns the counters of a month ("2006-01"; "" = every month) for
// `shdmc translate stats`, each with the provider's budget from budgets
// (keyed by provider name).
func Usage(ctx context.Context, mem Memory, month string, budgets map[string]int64) ([]UsageLine, error) {
	us, err := mem.TranslationUsages(ctx, month)
	if err != nil {
		return nil, fmt.Errorf("read translation usage: %w", err)
	}
	out := make([]UsageLine, len(us))
	for i, u := range us {
		out[i] = UsageLine{TranslationUsage: u, Budget: budgets[u.Provider]}
	}
	return out, nil
}
