package store

import "github.com/rencana-id/rencana/internal/domain"

// inRegion is the one SQL form of "column's region code lies in scope"
// (domain.ScopeCovers: the scope itself or any code below its dot): the
// range scope <= column < scope+"/". Codes are digits and dots and '.'
// sorts just before '/', so the range holds the scope and its subtree and
// nothing else ("74.050" sorts after "74.05/"). A range is one seek on an
// index in both engines where "= S OR LIKE 'S.%'" made SQLite read every
// row; on PostgreSQL the columns compared so are COLLATE "C" (schema 00020),
// since a linguistic collation does not sort by bytes. "*" (national) is no
// condition at all: sql is empty.
func inRegion(column, scope string) (sql string, args []any) {
	if scope == domain.NationalScope {
		return "", nil
	}
	return "(" + column + " >= ? AND " + column + " < ?)", []any{scope, scope + "/"}
}
