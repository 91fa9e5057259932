package store

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
)

// dialect holds everything that differs between the SQL engines. The SQL
// text itself is shared: both SQLite (modernc) and PostgreSQL accept $n
// placeholders, ON CONFLICT, RETURNING and NOT on a boolean column.
type dialect struct {
	// name is the engine's name in errors and logs.
	name string
	// goose is the migration dialect.
	goose goose.Dialect
	// migrations is the folder of the embedded migrations for this engine.
	migrations string
	// claimLock ends the SELECT that picks deliveries to claim. SQLite
	// serializes writers (BEGIN IMMEDIATE), so it needs nothing; PostgreSQL
	// will use " FOR UPDATE OF o SKIP LOCKED" so that workers never wait
	// on each other's rows.
	claimLock string
	// inList renders "column IN <the list passed as parameter $n>", and
	// listArg turns the list into that parameter. One parameter instead of
	// one per ID keeps long lookups fast and under every parameter limit:
	// SQLite reads a JSON array through json_each; PostgreSQL will use
	// "column = ANY($n)" with a text[] argument.
	inList  func(column string, n int) string
	listArg func(ids []string) (any, error)
}

// sqliteDialect describes modernc.org/sqlite.
func sqliteDialect() dialect {
	return dialect{
		name:       "sqlite",
		goose:      goose.DialectSQLite3,
		migrations: "migrations/sqlite",
		claimLock:  "",
		inList: func(column string, n int) string {
			return column + " IN (SELECT value FROM json_each($" + strconv.Itoa(n) + "))"
		},
		listArg: func(ids []string) (any, error) {
			b, err := json.Marshal(ids)
			return string(b), err
		},
	}
}

// placeholders returns "$from, $from+1, …" for n parameters.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}
