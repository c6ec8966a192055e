package store

import (
	"strconv"
	"strings"

	"huhang/internal/authz"
)

// scopePred returns a SQL predicate admitting rows in sc, given the columns
// that hold a row's district, school and class (empty when the row has no
// such column). IDs are integers from our own database, written as
// literals so a long scope never runs into a placeholder limit. An empty
// scope yields a predicate that admits nothing.
func scopePred(sc authz.Scope, districtCol, schoolCol, classCol string) string {
	if sc.City {
		return "1=1"
	}
	var parts []string
	add := func(col string, ids []int64) {
		if col == "" || len(ids) == 0 {
			return
		}
		var b strings.Builder
		b.WriteString(col)
		b.WriteString(" IN (")
		for i, id := range ids {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(id, 10))
		}
		b.WriteByte(')')
		parts = append(parts, b.String())
	}
	add(districtCol, sc.Districts)
	add(schoolCol, sc.Schools)
	add(classCol, sc.Classes)
	if len(parts) == 0 {
		return "1=0"
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}
