package store

import (
	"database/sql/driver"
	"fmt"

	"github.com/shdmc/shdmc/internal/htmltext"
	"modernc.org/sqlite"
)

// The SQLite triggers of migrations 00004 and 00007 (which 00009 replaces
// with indexing in Go, and whose Down restores) index the plain text of
// item bodies, which SQL alone cannot get from HTML: shdmc_plain(html) is
// htmltext.Text registered with the driver. The registration is the
// driver's own table, written once before any connection is opened.
// Migration 00007 keys the JSON it moves to blobs with shdmc_sha256(text),
// blobHash in SQL.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("shdmc_plain", 1, sqlitePlain)
	sqlite.MustRegisterDeterministicScalarFunction("shdmc_sha256", 1, sqliteSHA256)
}

// sqliteSHA256 implements shdmc_sha256: NULL stays NULL, text and bytes
// hash to blobHash of their bytes.
func sqliteSHA256(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch v := args[0].(type) {
	case nil:
		return nil, nil
	case string:
		return blobHash([]byte(v)), nil
	case []byte:
		return blobHash(v), nil
	default:
		return nil, fmt.Errorf("shdmc_sha256: unsupported argument %T", v)
	}
}

// sqlitePlain implements shdmc_plain: NULL stays NULL, anything else is read
// as HTML (plain text passes through unchanged but for white space).
func sqlitePlain(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch v := args[0].(type) {
	case nil:
		return nil, nil
	case string:
		return htmltext.Text(v), nil
	case []byte:
		return htmltext.Text(string(v)), nil
	default:
		return v, nil
	}
}
