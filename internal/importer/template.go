package importer

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"huhang/internal/privacy"
)

// Template columns. The student template lists every column the importer
// understands for a school's own roster (the school code is for district
// imports and left out); the names are all recognised by the header
// aliases, which a test checks.
var (
	studentTemplate = []string{"学籍号", "姓名", "性别", "出生日期", "身份证号", "年级", "班级", "重点学生类别",
		"监护人1姓名", "监护人1关系", "监护人1电话", "监护人2姓名", "监护人2关系", "监护人2电话"}
	staffTemplate = []string{"姓名", "性别", "联系电话", "岗位", "班主任班级"}
)

// Synthetic example rows. The ID numbers use area code 510402 and carry
// valid check digits; the names are common ones belonging to no one in
// particular. Rows equal to these are skipped on import with a notice,
// because a template uploaded with its examples left in would otherwise
// enrol two children who do not exist.
var (
	exampleID1 = withCheck("51040220120305001") // male (17th digit odd)
	exampleID2 = withCheck("51040220130817002") // female
	exampleNo2 = "L202300000000000002"

	studentExamples = [][]string{
		{"G" + exampleID1, "李明", "男", "2012-03-05", exampleID1, "初二", "3班", "留守",
			"李建国", "父亲", "13800000001", "王秀英", "母亲", "13800000002"},
		{exampleNo2, "王芳", "女", "2013-08-17", exampleID2, "初一", "1班", "单亲、困难",
			"张秀兰", "外婆", "13800000003", "", "", ""},
	}
	staffExamples = [][]string{
		{"陈静", "女", "13800000011", "班主任、学科教师", "初二(3)班"},
		{"刘洋", "男", "13800000012", "专职心理教师", ""},
	}

	// An example is recognised by number and name together: the numbers
	// are valid ones a real child could hold, and such a child must not be
	// skipped.
	exampleStudents = map[string]string{"G" + exampleID1: "李明", exampleNo2: "王芳"}
	exampleStaff    = map[string]bool{"陈静|13800000011": true, "刘洋|13800000012": true}
)

// withCheck appends the check character to 17 digits.
func withCheck(first17 string) string {
	c, err := privacy.IDCheckChar(first17)
	if err != nil {
		panic("importer: bad example ID number: " + err.Error())
	}
	return first17 + string(c)
}

// Template returns the Chinese header of the import template for kind, or
// nil for an unknown kind.
func Template(kind Kind) (header []string) {
	switch kind {
	case Students:
		return append([]string(nil), studentTemplate...)
	case Staff:
		return append([]string(nil), staffTemplate...)
	}
	return nil
}

// WriteTemplate writes an .xlsx template for kind: the header, two
// synthetic example rows, every column formatted as text (so Excel neither
// turns an ID number into 5.10402E+17 nor a class "3-1" into a date), a
// drop-down for gender, and the header row frozen.
func WriteTemplate(w io.Writer, kind Kind) error {
	header := Template(kind)
	if header == nil {
		return ErrKind
	}
	rows, sheet := studentExamples, "学生名单"
	if kind == Staff {
		rows, sheet = staffExamples, "教职工名单"
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("importer: template: %w", err)
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return fmt.Errorf("importer: template: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return fmt.Errorf("importer: template: %w", err)
	}
	last, _ := excelize.ColumnNumberToName(len(header))
	steps := []func() error{
		func() error { return f.SetColStyle(sheet, "A:"+last, text) },
		func() error { return f.SetColWidth(sheet, "A", last, 14) },
		func() error { return f.SetColWidth(sheet, "A", "A", 22) },
		func() error { return f.SetSheetRow(sheet, "A1", &header) },
		func() error { return f.SetCellStyle(sheet, "A1", last+"1", bold) },
		func() error {
			return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
		},
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		steps = append(steps, func() error { return f.SetSheetRow(sheet, cell, &row) })
	}
	for i, h := range header {
		if h != "性别" {
			continue
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		dv := excelize.NewDataValidation(true)
		dv.Sqref = col + "2:" + col + "10000"
		steps = append(steps, func() error { return dv.SetDropList([]string{"男", "女"}) },
			func() error { return f.AddDataValidation(sheet, dv) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("importer: template: %w", err)
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("importer: template: %w", err)
	}
	return nil
}
