// Package export writes lists (students, screening results, referrals, …)
// as .xlsx workbooks for download, with the safety properties a school
// mental-health platform needs:
//
//   - Formula injection is neutralised. Any text cell that Excel, LibreOffice
//     or WPS could interpret as a formula once a user edits it or re-saves
//     the sheet as CSV is stored with a leading apostrophe (see [Neutralize]),
//     and text is only ever written as an inline string, never as a formula.
//   - Identifiers stay exact. Student numbers, ID numbers and phone numbers
//     passed as strings are stored as text with the "@" number format, so
//     Excel never turns "510402…" into 5.10402E+17 or drops a leading zero.
//     Integers too long for Excel's 15 significant digits are stored as text
//     for the same reason.
//   - Memory stays flat. Rows are streamed with excelize's StreamWriter; only
//     the first rows are held back briefly so column widths can be estimated.
//   - The file says who exported it. An optional note line above the header
//     (typically "导出人 … · 时间 · 仅供工作使用，不得外传") acts as a visible
//     watermark, and is repeated in the document properties.
//   - Download names are safe. [Filename] and [Disposition] strip path
//     separators, control and bidi characters and build an RFC 6266/5987
//     Content-Disposition header with an ASCII fallback.
//
// Typical use in an HTTP handler:
//
//	sh, err := export.New("学生名单", []export.Column{{Header: "姓名"}, {Header: "学号"}}, note)
//	if err != nil { … }
//	defer sh.Close()
//	for _, st := range students {
//		if err := sh.Row(st.Name, st.Number); err != nil { … }
//	}
//	w.Header().Set("Content-Type", export.ContentType)
//	w.Header().Set("Content-Disposition", export.Disposition(school, "学生名单", day))
//	err = sh.Write(w)
package export
