package importer

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// source yields a sheet's rows in order with the row number the user sees.
type source interface {
	// next returns the next row; ok is false at the end or on failure.
	next() (row int, cells []string, ok bool)
	// failure is the file-level problem that stopped reading, or nil.
	failure() *Problem
	close()
}

// Format names reported in Result.Format.
const (
	FormatXLSX       = "xlsx"
	FormatCSVUTF8    = "csv-utf8"
	FormatCSVGB18030 = "csv-gb18030"
	FormatCSVUTF16   = "csv-utf16"
)

var (
	zipMagic   = []byte("PK\x03\x04")
	zipEmpty   = []byte("PK\x05\x06")
	oleMagic   = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	utf8BOM    = []byte{0xEF, 0xBB, 0xBF}
	utf16LEBOM = []byte{0xFF, 0xFE}
	utf16BEBOM = []byte{0xFE, 0xFF}
	// encryptionInfo is the name of the stream an encrypted OOXML file
	// keeps in its OLE container, in the container's UTF-16LE.
	encryptionInfo = []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o\x00")
)

// openSource detects the format from the content (the file name is only a
// hint, and names lie: systems export HTML as .xls and users rename files)
// and opens a row source.
func openSource(data []byte, lim Limits) (source, string, *Problem) {
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return nil, "", &Problem{Key: keyEmpty}
	case bytes.HasPrefix(data, zipMagic) || bytes.HasPrefix(data, zipEmpty):
		src, p := openXLSX(data, lim)
		return src, FormatXLSX, p
	case bytes.HasPrefix(data, oleMagic):
		// An OLE compound file is either a password-protected workbook
		// (Excel wraps the encrypted package in OLE) or a legacy .xls.
		if bytes.Contains(data, encryptionInfo) {
			return nil, "", &Problem{Key: keyEncrypted}
		}
		return nil, "", &Problem{Key: keyXLSLegacy}
	case bytes.HasPrefix(data, utf16LEBOM) || bytes.HasPrefix(data, utf16BEBOM):
		// Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated.
		text, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil || looksBinary(text) {
			return nil, "", &Problem{Key: keyFormat}
		}
		comma := sniffDelimiter(text)
		if tooWide(text, comma) {
			return nil, FormatCSVUTF16, &Problem{Key: keyTooManyCols, Args: []any{maxColumns}}
		}
		return newCSVSource(bytes.NewReader(text), comma), FormatCSVUTF16, nil
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if looksBinary(data) || looksMarkup(data) {
		return nil, "", &Problem{Key: keyFormat}
	}
	// Delimiters are ASCII and never occur inside a GB18030 multi-byte
	// character, so they can be counted on the raw bytes in either case.
	comma := sniffDelimiter(data)
	format := FormatCSVUTF8
	if !utf8.Valid(data) {
		// Not UTF-8: Chinese Excel saves CSV in the ANSI code page, GBK,
		// of which GB18030 is a superset, so decoding as GB18030 reads both.
		if !plausibleGB18030(data) {
			return nil, "", &Problem{Key: keyFormat}
		}
		format = FormatCSVGB18030
	}
	if tooWide(data, comma) {
		return nil, format, &Problem{Key: keyTooManyCols, Args: []any{maxColumns}}
	}
	if format == FormatCSVGB18030 {
		return newCSVSource(transform.NewReader(bytes.NewReader(data), simplifiedchinese.GB18030.NewDecoder()), comma), format, nil
	}
	return newCSVSource(bytes.NewReader(data), comma), format, nil
}

// looksBinary reports control bytes that no spreadsheet text contains.
// Such bytes cannot be part of a UTF-8 or GB18030 multi-byte character, so
// the test is valid before the encoding is known.
func looksBinary(data []byte) bool {
	for _, c := range data {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1A || c == 0x7F {
			return true
		}
	}
	return false
}

// looksMarkup catches HTML or XML saved with a spreadsheet's name, which
// some administrative systems export as ".xls".
func looksMarkup(data []byte) bool {
	head := bytes.TrimLeft(data[:min(len(data), 512)], " \t\r\n")
	return bytes.HasPrefix(head, []byte("<"))
}

// plausibleGB18030 decodes the start of the file and refuses it when more
// than one character in sixteen is undecodable: that is random bytes, not
// text in a Chinese code page.
func plausibleGB18030(data []byte) bool {
	head := data[:min(len(data), 8192)]
	text, _, err := transform.Bytes(simplifiedchinese.GB18030.NewDecoder(), head)
	if err != nil && len(text) == 0 {
		return false
	}
	total, bad := 0, 0
	for _, r := range string(text) {
		total++
		if r == utf8.RuneError {
			bad++
		}
	}
	return bad*16 <= total
}

// sniffDelimiter picks the CSV delimiter from the first lines: comma, tab
// (Excel's text export) or semicolon (European-locale Excel), whichever
// occurs most outside quotes.
func sniffDelimiter(data []byte) rune {
	head := data[:min(len(data), 64<<10)]
	counts := map[byte]int{}
	quoted, lines := false, 0
scan:
	for _, c := range head {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			if lines++; lines >= 10 {
				break scan
			}
		case c == ',' || c == '\t' || c == ';':
			counts[c]++
		}
	}
	best := byte(',')
	for _, c := range []byte{'\t', ';'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return rune(best)
}

// csvSource reads CSV records and numbers them as Excel would show the
// file: one row per line, where encoding/csv skips blank lines and a quoted
// cell may span lines.
type csvSource struct {
	r     *csv.Reader
	extra int // line breaks inside quoted cells so far
	fail  *Problem
	last  int
}

// maxColumns bounds the width of a row. No roster has a thousand columns,
// but a hostile file can have a million: a 20 MB line of commas would make
// encoding/csv allocate twenty million fields, and a value in Excel's last
// column makes excelize allocate 16,384 cells for its row.
const maxColumns = 1024

// tooWide reports whether some CSV line has more than maxColumns fields,
// counting delimiters outside quotes on the raw bytes before parsing.
func tooWide(data []byte, comma rune) bool {
	c := byte(comma)
	quoted, fields := false, 1
	for _, b := range data {
		switch {
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == '\n':
			fields = 1
		case b == c:
			if fields++; fields > maxColumns {
				return true
			}
		}
	}
	return false
}

func newCSVSource(r io.Reader, comma rune) *csvSource {
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.LazyQuotes = true // stray quotes in names and remarks are common
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &csvSource{r: cr}
}

func (s *csvSource) next() (int, []string, bool) {
	if s.fail != nil {
		return 0, nil, false
	}
	rec, err := s.r.Read()
	if err == io.EOF {
		return 0, nil, false
	}
	if err != nil {
		line := s.last + 1
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			line = pe.StartLine - s.extra
		}
		s.fail = &Problem{Key: keyCSVSyntax, Args: []any{line}}
		return 0, nil, false
	}
	line, _ := s.r.FieldPos(0)
	row := line - s.extra
	for _, f := range rec {
		s.extra += strings.Count(f, "\n")
	}
	s.last = row
	return row, rec, true
}

func (s *csvSource) failure() *Problem { return s.fail }
func (s *csvSource) close()            {}

// xlsxSource streams the first worksheet with excelize's row iterator, so
// only one row's cells are decoded at a time.
type xlsxSource struct {
	f        *excelize.File
	rows     *excelize.Rows
	n        int
	fail     *Problem
	date1904 bool
}

// unzipLimit bounds the decompressed size of a workbook, the defence
// against a zip bomb: a roster sheet compresses about tenfold (200,000
// rows: 11 MiB of .xlsx, 120 MiB of XML), so sixteen times the upload
// limit leaves room for any genuine file.
func unzipLimit(lim Limits) int64 { return max(lim.MaxBytes*16, 64<<20) }

// TempDir, when not empty, lets excelize move worksheets over 16 MiB of XML
// into temporary files in this directory instead of keeping them in
// memory, which cuts the peak heap of reading a 200,000-row sheet from
// about 290 MiB to about 50 MiB. Those files hold the roster — minors' ID
// numbers included — in plaintext until the read ends (excelize removes
// them when the workbook is closed, but not if the process dies), so set
// it only to a directory on memory-backed or encrypted storage. The
// default, "", keeps everything in memory.
var TempDir = ""

// spillThreshold is excelize's own default for moving a part to disk.
const spillThreshold = 16 << 20

func openXLSX(data []byte, lim Limits) (*xlsxSource, *Problem) {
	limit := unzipLimit(lim)
	opts := excelize.Options{UnzipSizeLimit: limit, UnzipXMLSizeLimit: limit}
	if TempDir != "" {
		opts.UnzipXMLSizeLimit, opts.TmpDir = spillThreshold, TempDir
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), opts)
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, zipProblem(data, err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, zipProblem(data, nil)
	}
	s := &xlsxSource{f: f}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		s.date1904 = *props.Date1904
	}
	if s.rows, err = f.Rows(sheets[0]); err != nil {
		f.Close()
		return nil, &Problem{Key: keyXLSXCorrupt}
	}
	return s, nil
}

// zipProblem tells a damaged workbook from a zip that was never one (a
// .docx, an .ods, an archive of photos).
func zipProblem(data []byte, err error) *Problem {
	if err != nil && strings.Contains(err.Error(), "unzip size") {
		return &Problem{Key: keyXLSXCorrupt}
	}
	zr, zerr := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if zerr != nil {
		return &Problem{Key: keyXLSXCorrupt}
	}
	for _, f := range zr.File {
		if strings.EqualFold(strings.ReplaceAll(f.Name, "\\", "/"), "xl/workbook.xml") {
			return &Problem{Key: keyXLSXCorrupt}
		}
	}
	return &Problem{Key: keyZipNotXLSX}
}

var rawCells = excelize.Options{RawCellValue: true}

func (s *xlsxSource) next() (int, []string, bool) {
	if s.fail != nil || !s.rows.Next() {
		if s.fail == nil && s.rows.Error() != nil {
			s.fail = &Problem{Key: keyXLSXCorrupt}
		}
		return 0, nil, false
	}
	s.n++
	// Raw values: a date cell yields its serial number, which the date
	// normaliser reads exactly, instead of a display string in whatever
	// format (3/5/12, 5-Mar-12) the cell happens to use.
	cells, err := s.rows.Columns(rawCells)
	if err != nil {
		s.fail = &Problem{Key: keyXLSXCorrupt}
		return 0, nil, false
	}
	if len(cells) > maxColumns {
		s.fail = &Problem{Key: keyTooManyCols, Args: []any{maxColumns}}
		return 0, nil, false
	}
	return s.n, cells, true
}

func (s *xlsxSource) failure() *Problem { return s.fail }

func (s *xlsxSource) close() {
	s.rows.Close()
	s.f.Close()
}
