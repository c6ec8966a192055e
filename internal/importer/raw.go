package importer

// EachRawRow calls fn with every row of the file as its cells stand, with
// the row number the user sees, so a report can give the file back with a
// column of problems added. It returns the file-level problem that stopped
// reading, if any.
func EachRawRow(data []byte, lim Limits, fn func(row int, cells []string) error) (*Problem, error) {
	lim = lim.orDefaults()
	src, _, p := openSource(data, lim)
	if p != nil {
		return p, nil
	}
	defer src.close()
	for {
		row, cells, ok := src.next()
		if !ok {
			break
		}
		if err := fn(row, cells); err != nil {
			return nil, err
		}
	}
	return src.failure(), nil
}
