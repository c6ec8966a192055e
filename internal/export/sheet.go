package export

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// ContentType is the MIME type of an .xlsx file, for the Content-Type header.
const ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Errors returned by [Sheet] methods. Messages never contain cell values,
// because those are personal data of minors and errors end up in logs.
var (
	// ErrNoColumns reports a call to New without columns.
	ErrNoColumns = errors.New("export: no columns")
	// ErrTooManyColumns reports more columns than Excel supports (16,384).
	ErrTooManyColumns = errors.New("export: too many columns")
	// ErrTooManyValues reports a row with more values than columns. It is an
	// error rather than silently dropped or written, because a shifted row
	// puts data under the wrong header, e.g. a risk level under "姓名".
	ErrTooManyValues = errors.New("export: more values than columns")
	// ErrTooManyRows reports that the sheet reached Excel's 1,048,576-row
	// limit; a file silently cut off there would look complete.
	ErrTooManyRows = errors.New("export: too many rows for one sheet")
	// ErrClosed reports use of a Sheet after Write or Close.
	ErrClosed = errors.New("export: sheet already written or closed")
)

// Column is one column of an export.
type Column struct {
	// Header is the header text in the user's language (normally Chinese).
	Header string
	// Width is the column width in characters. 0 means automatic: estimated
	// from the header and the first rows, with CJK characters counting
	// double because they are drawn about twice as wide as Latin ones.
	Width float64
}

const (
	// sampleRows is how many data rows are held back to estimate column
	// widths. StreamWriter needs widths before the first row, so the rows are
	// buffered; 100 is enough to be representative and keeps memory fixed.
	sampleRows = 100
	// minWidth and maxWidth bound automatic widths so that an empty column
	// stays clickable and one long free-text answer does not push every
	// other column off screen.
	minWidth = 6
	maxWidth = 60
	// maxExactInt is the largest integer Excel stores exactly: it keeps only
	// 15 significant digits, so larger integers (usually identifiers stored
	// as numbers by mistake) are written as text instead.
	maxExactInt = 999_999_999_999_999
	// dateFormat is how time.Time values are shown.
	dateFormat = "yyyy-mm-dd"
	// textFormat is Excel's built-in number format 49, "@" (text). Applied to
	// string cells, it keeps the value text even after a user edits the
	// cell, so "13800000000" does not turn into 1.38E+10 and "=…" typed
	// over the apostrophe does not become a formula.
	textFormat = 49
)

// Sheet streams rows into an .xlsx workbook with a single worksheet, using
// excelize's StreamWriter so memory stays constant even for 200,000 rows
// (rows beyond an in-memory threshold are spilled to a temporary file).
//
// Create one with [New], call [Sheet.Row] for each record, then
// [Sheet.Write]. A Sheet is not safe for concurrent use. Call [Sheet.Close]
// (e.g. deferred) so temporary files are removed if Write is never reached;
// Close after Write is a no-op.
type Sheet struct {
	f    *excelize.File
	sw   *excelize.StreamWriter
	name string
	cols []Column
	note string

	headerStyle, noteStyle, textStyle, dateStyle int

	// pending holds the first sampleRows rows until widths are known.
	pending [][]excelize.Cell
	started bool
	// firstDataRow is the sheet row number (1-based) of data row 0: 2, or
	// 3 when a note line sits above the header.
	firstDataRow int
	rows         int
	// cells and ptrs are reused for every streamed row; StreamWriter
	// serialises a row inside SetRow, so reuse is safe and avoids
	// allocating per cell.
	cells []excelize.Cell
	ptrs  []any
	done  bool
	// err is sticky: after a failed stream write the file is incomplete,
	// so every later call must fail too.
	err error
}

// New starts a workbook with one sheet named sheetName (sanitised to Excel's
// rules: at most 31 characters, none of : \ / ? * [ ], no apostrophe at either
// end), a bold, frozen header row, and an optional first line note above the
// header, merged across all columns. note is meant as a watermark naming who
// exported the data and when, e.g.
// "导出人 li.na · 2026-11-29 10:02 · 仅供工作使用，不得外传"; pass "" for none.
// The note is also stored as the workbook's description property, so it
// survives deletion of the first row.
func New(sheetName string, cols []Column, note string) (*Sheet, error) {
	if len(cols) == 0 {
		return nil, ErrNoColumns
	}
	if len(cols) > excelize.MaxColumns {
		return nil, ErrTooManyColumns
	}
	s := &Sheet{
		f:     excelize.NewFile(),
		name:  sanitizeSheetName(sheetName),
		cols:  append([]Column(nil), cols...),
		note:  note,
		cells: make([]excelize.Cell, len(cols)),
		ptrs:  make([]any, len(cols)),
	}
	if err := s.init(); err != nil {
		_ = s.f.Close()
		return nil, err
	}
	s.firstDataRow = 2
	if note != "" {
		s.firstDataRow = 3
	}
	return s, nil
}

// init names the sheet, registers styles and opens the stream.
func (s *Sheet) init() error {
	if s.name != "Sheet1" {
		if err := s.f.SetSheetName("Sheet1", s.name); err != nil {
			return fmt.Errorf("export: sheet name: %w", err)
		}
	}
	var err error
	if s.headerStyle, err = s.f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#E7EEF7"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "#7F7F7F", Style: 1}},
		Alignment: &excelize.Alignment{Vertical: "center"},
		NumFmt:    textFormat,
	}); err != nil {
		return fmt.Errorf("export: header style: %w", err)
	}
	if s.noteStyle, err = s.f.NewStyle(&excelize.Style{
		Font:   &excelize.Font{Italic: true, Color: "#7F7F7F"},
		NumFmt: textFormat,
	}); err != nil {
		return fmt.Errorf("export: note style: %w", err)
	}
	if s.textStyle, err = s.f.NewStyle(&excelize.Style{NumFmt: textFormat}); err != nil {
		return fmt.Errorf("export: text style: %w", err)
	}
	df := dateFormat
	if s.dateStyle, err = s.f.NewStyle(&excelize.Style{CustomNumFmt: &df}); err != nil {
		return fmt.Errorf("export: date style: %w", err)
	}
	props := &excelize.DocProperties{
		Creator: "Huhang",
		Created: time.Now().UTC().Format(time.RFC3339),
	}
	if s.note != "" {
		props.Description = s.note
	}
	if err = s.f.SetDocProps(props); err != nil {
		return fmt.Errorf("export: document properties: %w", err)
	}
	if s.sw, err = s.f.NewStreamWriter(s.name); err != nil {
		return fmt.Errorf("export: stream: %w", err)
	}
	return nil
}

// Rows reports how many data rows have been accepted by [Sheet.Row]
// (header and note rows are not counted).
func (s *Sheet) Rows() int { return s.rows }

// Row appends one data row. Values map to columns in order; fewer values than
// columns leave the rest empty, more is an error ([ErrTooManyValues]).
//
// Accepted value types:
//   - string: stored as inline text with the "@" format, after [Neutralize];
//     digit strings (student numbers, ID and phone numbers) stay exact text.
//   - int, int8 … int64, uint … uint64: a number; outside ±999,999,999,999,999
//     it is written as text, because Excel would round it.
//   - float32, float64: a number; NaN and ±Inf become text.
//   - bool: a TRUE/FALSE cell.
//   - time.Time: a date cell shown as yyyy-mm-dd, using the calendar day in
//     the value's own location (convert to the school's zone first). The
//     time of day is dropped so filters and sorting work on whole days. The
//     zero time is written as an empty cell.
//   - nil: an empty cell.
//
// Any other type is rejected rather than formatted with fmt, so that no
// excelize.Cell (which can carry a formula) or rich value can slip through.
// When a value is rejected the row is not written and Rows is unchanged, so
// the caller may log and continue. A failure of the underlying stream is
// sticky: every later call returns it, because the file is incomplete.
func (s *Sheet) Row(values ...any) error {
	if s.done {
		return ErrClosed
	}
	if s.err != nil {
		return s.err
	}
	if len(values) > len(s.cols) {
		return ErrTooManyValues
	}
	if s.firstDataRow+s.rows > excelize.TotalRows {
		return ErrTooManyRows
	}
	clear(s.cells)
	for i, v := range values {
		c, err := s.cell(v)
		if err != nil {
			return fmt.Errorf("export: column %d (%s): %w", i+1, s.cols[i].Header, err)
		}
		s.cells[i] = c
	}
	if !s.started {
		s.pending = append(s.pending, append([]excelize.Cell(nil), s.cells...))
		s.rows++
		if len(s.pending) >= sampleRows {
			return s.start()
		}
		return nil
	}
	if err := s.writeCells(s.firstDataRow+s.rows, s.cells); err != nil {
		return err
	}
	s.rows++
	return nil
}

// cell converts one value to an excelize cell. A nil Value means empty.
func (s *Sheet) cell(v any) (excelize.Cell, error) {
	switch v := v.(type) {
	case nil:
		return excelize.Cell{}, nil
	case string:
		return s.text(v), nil
	case int:
		return s.int64Cell(int64(v)), nil
	case int8:
		return s.int64Cell(int64(v)), nil
	case int16:
		return s.int64Cell(int64(v)), nil
	case int32:
		return s.int64Cell(int64(v)), nil
	case int64:
		return s.int64Cell(v), nil
	case uint:
		return s.uint64Cell(uint64(v)), nil
	case uint8:
		return s.uint64Cell(uint64(v)), nil
	case uint16:
		return s.uint64Cell(uint64(v)), nil
	case uint32:
		return s.uint64Cell(uint64(v)), nil
	case uint64:
		return s.uint64Cell(v), nil
	case float32:
		return s.floatCell(float64(v)), nil
	case float64:
		return s.floatCell(v), nil
	case bool:
		return excelize.Cell{Value: v}, nil
	case time.Time:
		if v.IsZero() {
			return excelize.Cell{}, nil
		}
		y, m, d := v.Date()
		return excelize.Cell{StyleID: s.dateStyle, Value: time.Date(y, m, d, 0, 0, 0, 0, v.Location())}, nil
	default:
		return excelize.Cell{}, fmt.Errorf("unsupported value type %T", v)
	}
}

// text makes a neutralised text cell. The value is stored as a Go string,
// which StreamWriter always writes as an inline string, never a formula.
func (s *Sheet) text(v string) excelize.Cell {
	return excelize.Cell{StyleID: s.textStyle, Value: Neutralize(v)}
}

func (s *Sheet) int64Cell(v int64) excelize.Cell {
	if v > maxExactInt || v < -maxExactInt {
		return s.text(strconv.FormatInt(v, 10))
	}
	return excelize.Cell{Value: v}
}

func (s *Sheet) uint64Cell(v uint64) excelize.Cell {
	if v > maxExactInt {
		return s.text(strconv.FormatUint(v, 10))
	}
	return excelize.Cell{Value: int64(v)}
}

// floatCell writes NaN and infinities as neutralised text ourselves, because
// excelize would otherwise store "+Inf" unneutralised.
func (s *Sheet) floatCell(v float64) excelize.Cell {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return s.text(strconv.FormatFloat(v, 'g', -1, 64))
	}
	return excelize.Cell{Value: v}
}

// start fixes the column widths from the header and the buffered rows, then
// writes panes, note, header and the buffered rows to the stream. From then
// on rows go straight to the stream.
func (s *Sheet) start() error {
	s.started = true
	if err := s.setup(); err != nil {
		s.err = err
		return err
	}
	for i, row := range s.pending {
		if err := s.writeCells(s.firstDataRow+i, row); err != nil {
			return err
		}
	}
	s.pending = nil
	return nil
}

func (s *Sheet) setup() error {
	for i, c := range s.cols {
		w := c.Width
		if w <= 0 {
			w = s.estimateWidth(i)
		}
		w = min(w, excelize.MaxColumnWidth)
		if err := s.sw.SetColWidth(i+1, i+1, w); err != nil {
			return fmt.Errorf("export: column width: %w", err)
		}
	}
	headerRow := s.firstDataRow - 1
	// Freezing below the header keeps it (and the watermark note) visible
	// while scrolling through long lists.
	topLeft, _ := excelize.CoordinatesToCellName(1, headerRow+1)
	if err := s.sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: headerRow, TopLeftCell: topLeft, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: topLeft, ActiveCell: topLeft, Pane: "bottomLeft"}},
	}); err != nil {
		return fmt.Errorf("export: panes: %w", err)
	}
	if s.note != "" {
		if err := s.sw.SetRow("A1", []any{excelize.Cell{StyleID: s.noteStyle, Value: Neutralize(s.note)}}); err != nil {
			return fmt.Errorf("export: note row: %w", err)
		}
		if len(s.cols) > 1 {
			last, _ := excelize.CoordinatesToCellName(len(s.cols), 1)
			if err := s.sw.MergeCell("A1", last); err != nil {
				return fmt.Errorf("export: note row: %w", err)
			}
		}
	}
	header := make([]any, len(s.cols))
	for i, c := range s.cols {
		header[i] = excelize.Cell{StyleID: s.headerStyle, Value: Neutralize(c.Header)}
	}
	cell, _ := excelize.CoordinatesToCellName(1, headerRow)
	if err := s.sw.SetRow(cell, header); err != nil {
		return fmt.Errorf("export: header row: %w", err)
	}
	return nil
}

// writeCells streams one row of converted cells to sheet row r.
func (s *Sheet) writeCells(r int, cells []excelize.Cell) error {
	n := 0
	for i := range cells {
		if cells[i].Value == nil {
			s.ptrs[i] = nil // skipped by SetRow: no <c> element at all
			continue
		}
		s.ptrs[i] = &cells[i]
		n = i + 1
	}
	ref, err := excelize.CoordinatesToCellName(1, r)
	if err == nil {
		err = s.sw.SetRow(ref, s.ptrs[:n])
	}
	clear(s.ptrs)
	if err != nil {
		s.err = fmt.Errorf("export: row %d: %w", r, err)
		return s.err
	}
	return nil
}

// estimateWidth returns an automatic width for column i: the widest of the
// header and the buffered values, plus padding, within [minWidth, maxWidth].
func (s *Sheet) estimateWidth(i int) float64 {
	w := displayWidth(s.cols[i].Header) + 1 // bold header is a little wider
	for _, row := range s.pending {
		if w >= maxWidth {
			break
		}
		var cw int
		switch v := row[i].Value.(type) {
		case string:
			cw = displayWidth(v)
		case int64:
			cw = len(strconv.FormatInt(v, 10))
		case float64:
			cw = min(len(strconv.FormatFloat(v, 'g', -1, 64)), 12) // Excel shows ~11 digits in General
		case bool:
			cw = 5 // FALSE
		case time.Time:
			cw = len("2006-01-02")
		}
		w = max(w, cw)
	}
	return float64(min(max(w+2, minWidth), maxWidth))
}

// displayWidth is the width of the longest line of v in "character cells":
// East Asian wide characters count 2, others 1. It stops counting past
// maxWidth since the result is capped there anyway.
func displayWidth(v string) int {
	best, cur := 0, 0
	for _, r := range v {
		if r == '\n' {
			best, cur = max(best, cur), 0
			continue
		}
		cur += runeWidth(r)
		if cur >= maxWidth {
			return cur
		}
	}
	return max(best, cur)
}

// runeWidth approximates the East Asian Width property: 2 for wide and
// full-width characters (CJK ideographs, kana, Hangul, full-width forms,
// most emoji), 0 for control characters, 1 otherwise. A table-free
// approximation is enough for column widths.
func runeWidth(r rune) int {
	switch {
	case r < 0x20 || r == 0x7f:
		return 0
	case r >= 0x1100 && r <= 0x115f,
		r >= 0x2e80 && r <= 0xa4cf && r != 0x303f,
		r >= 0xac00 && r <= 0xd7a3,
		r >= 0xf900 && r <= 0xfaff,
		r >= 0xfe30 && r <= 0xfe4f,
		r >= 0xff00 && r <= 0xff60,
		r >= 0xffe0 && r <= 0xffe6,
		r >= 0x1f300 && r <= 0x1f64f,
		r >= 0x1f900 && r <= 0x1f9ff,
		r >= 0x20000 && r <= 0x3fffd:
		return 2
	}
	return 1
}

// Write finishes the workbook and writes it to w. The Sheet cannot be used
// afterwards; its temporary files are removed whether or not Write succeeds.
func (s *Sheet) Write(w io.Writer) error {
	if s.done {
		return ErrClosed
	}
	defer s.Close()
	if s.err != nil {
		return s.err
	}
	if !s.started {
		if err := s.start(); err != nil {
			return err
		}
	}
	if err := s.sw.Flush(); err != nil {
		return fmt.Errorf("export: flush: %w", err)
	}
	if err := s.f.Write(w); err != nil {
		return fmt.Errorf("export: write: %w", err)
	}
	return nil
}

// Close discards the workbook and removes its temporary files. It is safe to
// call more than once and after Write.
func (s *Sheet) Close() error {
	if s.done {
		return nil
	}
	s.done = true
	s.pending = nil
	return s.f.Close()
}

// sanitizeSheetName makes name acceptable to Excel: characters : \ / ? * [ ]
// and control characters become "_" (a lookalike would be confusing to type
// in formulas), leading and trailing apostrophes and spaces are removed, the
// result is cut to 31 UTF-16 units (Excel's limit, which excelize also
// counts in UTF-16), an empty name becomes "Sheet1", and the name reserved
// by Excel, "History", gets a suffix.
func sanitizeSheetName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			// dropped: invisible or invalid, useless in a tab label
		case strings.ContainsRune(`:\/?*[]`, r):
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	out := strings.Trim(b.String(), "' ")
	units := 0
	for i, r := range out {
		units += utf16.RuneLen(r)
		if units > 31 {
			out = strings.TrimRight(out[:i], "' ")
			break
		}
	}
	if out == "" {
		return "Sheet1"
	}
	if strings.EqualFold(out, "History") {
		return out + "_"
	}
	return out
}
