// Package schema embeds the versioned SQL migrations, one directory per
// dialect because PostgreSQL and SQLite differ in types and identity columns.
// Files are applied in order by goose (see internal/store.Migrate); a file
// that has been released is never edited, only followed by a new one.
package schema

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
