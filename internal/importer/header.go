package importer

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"huhang/internal/model"
)

// field is a column the importer understands.
type field int

const (
	fNone field = iota
	fStudentNo
	fName
	fGender
	fBirth
	fID
	fGrade
	fClass
	fSchoolCode
	fCategories
	fCatPoor
	fCatLeftBehind
	fCatSingleParent
	fCatMigrant
	fCatOrphan
	fCatDisabled
	fG1Name
	fG1Relation
	fG1Phone
	fG2Name
	fG2Relation
	fG2Phone
	fPhone
	fPosts
	fHomeroomClass
	fTeachClass
	numFields
)

// yesNoCategory maps the yes/no category columns to their category.
var yesNoCategory = map[field]model.Category{
	fCatPoor: model.CatPoor, fCatLeftBehind: model.CatLeftBehind, fCatSingleParent: model.CatSingleParent,
	fCatMigrant: model.CatMigrant, fCatOrphan: model.CatOrphan, fCatDisabled: model.CatDisabled,
}

// guardianSets lists each guardian's name, relation and phone columns.
var guardianSets = [][3]field{{fG1Name, fG1Relation, fG1Phone}, {fG2Name, fG2Relation, fG2Phone}}

// fieldLabel is the Chinese column name used when a required column is
// missing, matching the template's header.
var fieldLabel = map[field]string{
	fStudentNo: "学籍号", fName: "姓名", fGender: "性别", fBirth: "出生日期", fID: "身份证号", fPosts: "岗位",
	fHomeroomClass: "班主任班级",
}

type alias struct {
	f     field
	names []string
}

// Aliases are written in normalised form (see headerKey): lower case, no
// spaces, underscores, dashes, dots, colons or asterisks, half-width.
var commonAliases = []alias{
	{fSchoolCode, []string{"学校代码", "学校编码", "学校标识码", "学校编号", "学校识别码", "schoolcode", "schoolid"}},
	{fGender, []string{"性别", "gender", "sex"}},
}

var studentAliases = []alias{
	{fStudentNo, []string{"学籍号", "全国学籍号", "学籍编号", "学生学籍号", "学籍号码", "全国学籍号码", "国家学籍号",
		"studentno", "studentnumber", "nationalstudentno", "nationalstudentnumber"}},
	{fName, []string{"姓名", "学生姓名", "学生名字", "名字", "name", "studentname", "fullname"}},
	{fGender, []string{"学生性别"}},
	{fBirth, []string{"出生日期", "出生年月日", "出生年月", "生日", "出生日", "birthdate", "dateofbirth", "dob", "birthday"}},
	{fID, []string{"身份证号", "身份证号码", "身份证", "学生身份证号", "学生身份证号码", "公民身份号码", "公民身份证号",
		"公民身份证号码", "证件号码", "证件号", "身份证件号", "身份证件号码", "idnumber", "idno", "idcard", "idcardno",
		"idcardnumber", "nationalid", "residentid"}},
	{fGrade, []string{"年级", "所在年级", "年级名称", "grade", "gradelevel"}},
	{fClass, []string{"班级", "班", "班号", "所在班级", "班级名称", "班级号", "class", "classno", "classnumber"}},
	{fCategories, []string{"家庭情况", "重点学生类别", "学生类别", "特殊群体", "重点学生", "类别", "关爱类别", "特殊类别",
		"家庭类别", "category", "categories", "keystudentcategory"}},
	{fCatLeftBehind, []string{"留守", "留守儿童", "留守学生", "leftbehind"}},
	{fCatSingleParent, []string{"单亲", "单亲家庭", "单亲学生", "singleparent"}},
	{fCatPoor, []string{"困难", "家庭困难", "困难家庭", "家庭经济困难", "贫困", "贫困家庭", "建档立卡", "建档立卡户", "低保",
		"低保户", "poor", "lowincome"}},
	{fCatMigrant, []string{"随迁", "随迁子女", "进城务工人员随迁子女", "流动", "流动儿童", "migrant"}},
	{fCatOrphan, []string{"孤儿", "orphan"}},
	{fCatDisabled, []string{"残疾", "残疾儿童", "残疾学生", "disabled", "disability"}},
	{fG1Name, []string{"监护人", "监护人姓名", "监护人1", "监护人1姓名", "第一监护人", "第一监护人姓名", "家长", "家长姓名",
		"家长1", "家长1姓名", "联系人", "联系人姓名", "guardian", "guardianname", "guardian1", "guardian1name", "parent",
		"parentname"}},
	{fG1Relation, []string{"关系", "与学生关系", "与学生的关系", "监护人关系", "监护人1关系", "与本人关系", "家长关系",
		"家长1关系", "亲属关系", "relation", "relationship", "guardianrelation", "guardian1relation", "relation1"}},
	{fG1Phone, []string{"联系电话", "电话", "手机", "手机号", "手机号码", "电话号码", "联系方式", "监护人电话", "监护人手机",
		"监护人手机号", "监护人1电话", "监护人1手机", "监护人联系电话", "监护人1联系电话", "家长电话", "家长手机",
		"家长联系电话", "家长1电话", "phone", "mobile", "tel", "telephone", "guardianphone", "guardian1phone", "parentphone",
		"phone1"}},
	{fG2Name, []string{"监护人2", "监护人2姓名", "第二监护人", "第二监护人姓名", "家长2", "家长2姓名", "联系人2",
		"guardian2", "guardian2name"}},
	{fG2Relation, []string{"关系2", "与学生关系2", "监护人2关系", "家长2关系", "relation2", "guardian2relation"}},
	{fG2Phone, []string{"电话2", "联系电话2", "手机2", "监护人2电话", "监护人2手机", "监护人2手机号", "监护人2联系电话",
		"家长2电话", "家长2手机", "phone2", "guardian2phone"}},
}

var staffAliases = []alias{
	{fName, []string{"姓名", "教师姓名", "教职工姓名", "职工姓名", "员工姓名", "name", "fullname", "staffname", "teachername"}},
	{fPhone, []string{"联系电话", "电话", "手机", "手机号", "手机号码", "电话号码", "联系方式", "phone", "mobile", "tel",
		"telephone"}},
	{fPosts, []string{"岗位", "职务", "岗位职务", "职务岗位", "岗位类别", "职位", "任职", "post", "posts", "position", "role",
		"roles"}},
	{fGrade, []string{"年级", "任教年级", "grade"}},
	{fHomeroomClass, []string{"班主任班级", "所带班级", "担任班主任班级", "班主任所带班级", "homeroom", "homeroomclass"}},
	{fTeachClass, []string{"任教班级", "班级", "所在班级", "class", "teachingclass"}},
}

var aliasTables = map[Kind]map[string]field{
	Students: buildAliases(commonAliases, studentAliases),
	Staff:    buildAliases(commonAliases, staffAliases),
}

func buildAliases(lists ...[]alias) map[string]field {
	m := map[string]field{}
	for _, l := range lists {
		for _, a := range l {
			for _, n := range a.names {
				m[n] = a.f
			}
		}
	}
	return m
}

// headerKey normalises a header cell for lookup: what varies between
// schools' spreadsheets is case, width, spacing and decoration such as a
// required-field star ("*姓名") or a colon, none of which changes meaning.
func headerKey(s string) string {
	s = strings.ToLower(NormalizeText(s))
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '.', ':', '*', '※', '#', '\'', '"', '“', '”', '：':
			return -1
		}
		return r
	}, s)
}

// lookupHeader finds the field a header cell names. It tries the cell as
// is with brackets dropped ("监护人(2)姓名" → 监护人2姓名), then with bracketed
// remarks removed ("出生日期（yyyy-mm-dd）", "姓名(必填)"), each also without a
// leading 是否 ("是否留守儿童").
func lookupHeader(kind Kind, cell string) field {
	table := aliasTables[kind]
	k := headerKey(cell)
	if k == "" {
		return fNone
	}
	k = strings.NewReplacer("（", "(", "）", ")", "【", "(", "】", ")", "[", "(", "]", ")").Replace(k)
	noBrackets := strings.NewReplacer("(", "", ")", "").Replace(k)
	for _, c := range []string{noBrackets, stripBracketed(k)} {
		if f, ok := table[c]; ok {
			return f
		}
		if rest, ok := strings.CutPrefix(c, "是否"); ok {
			if f, ok := table[rest]; ok {
				return f
			}
		}
	}
	return fNone
}

// stripBracketed removes every "(…)" segment.
func stripBracketed(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')':
			if depth > 0 {
				depth--
			}
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// columns is the mapping from fields to column indexes found in the header.
type columns struct {
	idx    [numFields]int // -1 when the column is absent
	header []string       // header cells as in the file (trimmed)
}

func (c *columns) has(f field) bool { return c.idx[f] >= 0 }

// name returns the header text of a field's column, or the template's label
// when the column is absent, so every row problem can name a column.
func (c *columns) name(f field) string {
	if c.has(f) {
		return c.header[c.idx[f]]
	}
	return fieldLabel[f]
}

// countRecognised counts the header cells that name a field; a row with two
// or more is taken as the header.
func countRecognised(kind Kind, cells []string) int {
	n := 0
	for _, c := range cells {
		if utf8.RuneCountInString(c) <= maxHeaderRunes && lookupHeader(kind, c) != fNone {
			n++
		}
	}
	return n
}

// maxHeaderRunes bounds the header cells considered, so a title row holding
// a paragraph is never mistaken for column names.
const maxHeaderRunes = 40

// mapHeader builds the column mapping and reports ignored and duplicate
// columns as notices on the header row.
func mapHeader(kind Kind, cells []string, row int, add func(Problem)) *columns {
	c := &columns{header: make([]string, len(cells))}
	for i := range c.idx {
		c.idx[i] = -1
	}
	for i, cell := range cells {
		c.header[i] = displayHeader(cell)
		if c.header[i] == "" {
			continue
		}
		f := fNone
		if utf8.RuneCountInString(cell) <= maxHeaderRunes {
			f = lookupHeader(kind, cell)
		}
		switch {
		case f == fNone:
			add(Problem{Row: row, Column: c.header[i], Key: keyColumnIgnored, Notice: true})
		case c.idx[f] >= 0:
			add(Problem{Row: row, Column: c.header[i], Key: keyColumnDuplicate, Notice: true})
		default:
			c.idx[f] = i
		}
	}
	// A guardian needs both a name and a phone in the store; a set missing
	// one of them cannot produce a guardian, so its other columns are
	// dropped with a notice rather than failing every row.
	if kind == Students {
		for _, set := range guardianSets {
			if c.has(set[0]) && c.has(set[2]) {
				continue
			}
			for _, f := range set {
				if c.has(f) {
					add(Problem{Row: row, Column: c.name(f), Key: keyGuardianColumns, Notice: true})
					c.idx[f] = -1
				}
			}
		}
	}
	return c
}

// displayHeader is the header text shown in problems: as in the file but
// without surrounding spaces or invisible characters, cut to a readable
// length.
func displayHeader(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || isZeroWidth(r) })
	if utf8.RuneCountInString(s) > maxHeaderRunes {
		return string([]rune(s)[:maxHeaderRunes]) + "…"
	}
	return s
}

// missingColumns lists the required columns the header lacks. A student's
// gender and birth date can be read from the ID number, so those columns
// are required only when there is no ID number column.
func (c *columns) missing(kind Kind) []string {
	var req []field
	switch kind {
	case Students:
		req = []field{fStudentNo, fName}
		if !c.has(fID) {
			req = append(req, fGender, fBirth)
		}
	case Staff:
		req = []field{fName, fGender, fPosts}
	}
	var out []string
	for _, f := range req {
		if !c.has(f) {
			out = append(out, fieldLabel[f])
		}
	}
	return out
}
