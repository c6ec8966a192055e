package importer

// Problem keys. Each is an i18n key; Messages holds its Chinese and English
// text. Arguments never carry cell contents: a problem report may be kept
// with an import job or written to a log, and the cells hold minors'
// personal data, so a problem names only the row, the column and the rule.
const (
	// File-level problems (Row 0): the file as a whole cannot be imported.
	keyEmpty         = "imp.empty"
	keyTooLarge      = "imp.too_large"
	keyFormat        = "imp.format"
	keyXLSLegacy     = "imp.xls_legacy"
	keyEncrypted     = "imp.encrypted"
	keyXLSXCorrupt   = "imp.xlsx_corrupt"
	keyZipNotXLSX    = "imp.zip_not_xlsx"
	keyCSVSyntax     = "imp.csv_syntax"
	keyNoHeader      = "imp.no_header"
	keyMissingCols   = "imp.missing_columns"
	keyNoRows        = "imp.no_rows"
	keyTooManyRows   = "imp.too_many_rows"
	keyTooManyCols   = "imp.too_many_columns"
	keyInternal      = "imp.internal"
	keyProblemsTrunc = "imp.problems_truncated"

	// Notices: an ignored column (on the header row), a skipped example row.
	keyColumnIgnored   = "imp.column_ignored"
	keyColumnDuplicate = "imp.column_duplicate"
	keyGuardianColumns = "imp.guardian_columns_incomplete"
	keyExampleRow      = "imp.example_row"
	keyClassFirstOnly  = "imp.class_first_only"

	// Row problems: each names a row and a column.
	keyCellTooLong       = "imp.cell_too_long"
	keyRequired          = "imp.required"
	keyStudentNo         = "imp.student_no"
	keyStudentNoIDDiffer = "imp.student_no_id_mismatch"
	keyName              = "imp.name"
	keyGender            = "imp.gender"
	keyDate              = "imp.date"
	keyBirthRange        = "imp.birth_date_range"
	keyIDLength          = "imp.id_length"
	keyIDDigits          = "imp.id_digits"
	keyIDArea            = "imp.id_area"
	keyIDBirthDate       = "imp.id_birth_date"
	keyIDCheckDigit      = "imp.id_check_digit"
	keyIDAsNumber        = "imp.id_as_number"
	keyIDBirthMismatch   = "imp.id_birth_mismatch"
	keyIDGenderMismatch  = "imp.id_gender_mismatch"
	keyGrade             = "imp.grade"
	keyClass             = "imp.class"
	keyGradeClass        = "imp.grade_class_mismatch"
	keyAgeForGrade       = "imp.age_for_grade"
	keySchoolCode        = "imp.school_code"
	keyCategory          = "imp.category"
	keyYesNo             = "imp.yes_no"
	keyPhone             = "imp.phone"
	keyDupStudentNo      = "imp.duplicate_student_no"
	keyDupID             = "imp.duplicate_id"
	keyPost              = "imp.post"
	keyClassRequired     = "imp.class_required"
	keyClassNoGrade      = "imp.class_grade_missing"
)

// ProblemKeys lists every key a Problem can carry, in the order the
// catalogues should list them.
var ProblemKeys = []string{
	keyEmpty, keyTooLarge, keyFormat, keyXLSLegacy, keyEncrypted, keyXLSXCorrupt, keyZipNotXLSX,
	keyCSVSyntax, keyNoHeader, keyMissingCols, keyNoRows, keyTooManyRows, keyTooManyCols, keyInternal, keyProblemsTrunc,
	keyColumnIgnored, keyColumnDuplicate, keyGuardianColumns, keyExampleRow, keyClassFirstOnly,
	keyCellTooLong, keyRequired, keyStudentNo, keyStudentNoIDDiffer, keyName, keyGender, keyDate,
	keyBirthRange, keyIDLength, keyIDDigits, keyIDArea, keyIDBirthDate, keyIDCheckDigit, keyIDAsNumber,
	keyIDBirthMismatch, keyIDGenderMismatch, keyGrade, keyClass, keyGradeClass, keyAgeForGrade,
	keySchoolCode, keyCategory, keyYesNo, keyPhone, keyDupStudentNo, keyDupID, keyPost,
	keyClassRequired, keyClassNoGrade,
}

// Messages maps each problem key to its message in Chinese and English.
// A message takes at most one argument (%d or %s), passed in Problem.Args.
var Messages = map[string][2]string{
	keyEmpty:         {"文件中没有内容", "The file has no content"},
	keyTooLarge:      {"文件超过 %d MB 的上限", "The file is larger than the %d MB limit"},
	keyFormat:        {"无法识别文件格式，请上传 .xlsx 或 CSV 文件", "Unrecognised file format; please upload an .xlsx or CSV file"},
	keyXLSLegacy:     {"不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后再上传", "Old .xls files are not supported; save the file as .xlsx in Excel and upload it again"},
	keyEncrypted:     {"文件设有打开密码，请取消密码保护后再上传", "The file is password-protected; remove the password and upload it again"},
	keyXLSXCorrupt:   {"Excel 文件已损坏或不完整，无法读取", "The Excel file is damaged or incomplete and cannot be read"},
	keyZipNotXLSX:    {"该压缩文件不是 Excel 工作簿，请上传 .xlsx 或 CSV 文件", "This zip file is not an Excel workbook; please upload an .xlsx or CSV file"},
	keyCSVSyntax:     {"CSV 文件在第 %d 行附近格式有误，已停止读取", "The CSV file is malformed near row %d; reading stopped"},
	keyNoHeader:      {"前 10 行中找不到表头（至少需要两个可识别的列名，如“姓名”“性别”）", "No header row in the first 10 rows (at least two recognised column names such as 姓名 and 性别 are needed)"},
	keyMissingCols:   {"缺少必需的列：%s", "Required columns are missing: %s"},
	keyNoRows:        {"表头下面没有数据", "There are no data rows below the header"},
	keyTooManyRows:   {"数据超过 %d 行的上限，已停止读取", "The file has more than %d data rows; reading stopped"},
	keyTooManyCols:   {"表格超过 %d 列，请删除多余的列后再上传", "The sheet has more than %d columns; delete the extra columns and upload again"},
	keyInternal:      {"读取文件时发生内部错误，请联系管理员", "An internal error occurred while reading the file; please contact the administrator"},
	keyProblemsTrunc: {"问题过多，另有 %d 条未列出", "Too many problems; %d more are not listed"},

	keyColumnIgnored:   {"无法识别的列，已忽略", "Unrecognised column, ignored"},
	keyColumnDuplicate: {"重复的列，已忽略（以前面的同名列为准）", "Duplicate column, ignored (the earlier one is used)"},
	keyGuardianColumns: {"监护人信息需要同时有姓名列和电话列，此列已忽略", "Guardian details need both a name column and a phone column; this column is ignored"},
	keyExampleRow:      {"这是模板中的示例行，已跳过", "This is an example row from the template; skipped"},
	keyClassFirstOnly:  {"填写了多个班级，只导入第一个", "Several classes are given; only the first is imported"},

	keyCellTooLong:       {"内容超过 %d 个字", "The cell is longer than %d characters"},
	keyRequired:          {"必填项为空", "This field is required"},
	keyStudentNo:         {"学籍号格式不正确（应为 G+身份证号、J+18 位或 L+18 位数字）", "Invalid student number (G + ID number, J + 18 characters or L + 18 digits)"},
	keyStudentNoIDDiffer: {"G 开头的学籍号应与身份证号一致", "A student number starting with G must match the ID number"},
	keyName:              {"姓名只能包含文字、间隔号“·”和空格，最多 30 个字", "A name may contain only letters, the middle dot and spaces, at most 30 characters"},
	keyGender:            {"性别无法识别（应填 男 或 女）", "Unrecognised gender (use 男 or 女)"},
	keyDate:              {"日期无法识别（例如 2012-03-05）", "Unrecognised date (for example 2012-03-05)"},
	keyBirthRange:        {"出生日期与在校年龄不符（应为 2 到 25 岁）", "Birth date does not fit a pupil (age 2 to 25)"},
	keyIDLength:          {"身份证号应为 18 位", "An ID number has 18 characters"},
	keyIDDigits:          {"身份证号应为 17 位数字加一位数字或 X", "An ID number is 17 digits followed by a digit or X"},
	keyIDArea:            {"身份证号的地区码不正确", "The ID number's area code is invalid"},
	keyIDBirthDate:       {"身份证号中的出生日期不存在", "The birth date inside the ID number is not a real date"},
	keyIDCheckDigit:      {"身份证号校验位不正确，请核对", "The ID number's check digit is wrong; please check it"},
	keyIDAsNumber:        {"身份证号被 Excel 存成了数字（科学计数法），请把该列设为文本后重新填写", "Excel stored the ID number as a number (scientific notation); format the column as text and enter it again"},
	keyIDBirthMismatch:   {"出生日期与身份证号不一致", "The birth date does not match the ID number"},
	keyIDGenderMismatch:  {"性别与身份证号不一致", "The gender does not match the ID number"},
	keyGrade:             {"年级无法识别（例如 初二、三年级、高一、大班）", "Unrecognised grade (for example 初二, 三年级, 高一, 大班)"},
	keyClass:             {"班级无法识别（例如 3班、初二(3)班）", "Unrecognised class (for example 3班 or 初二(3)班)"},
	keyGradeClass:        {"班级中写的年级与“年级”列不一致", "The grade in the class does not match the grade column"},
	keyAgeForGrade:       {"年龄与年级不符（与正常入学年龄相差超过 2 岁）", "Age does not fit the grade (more than 2 years from the usual age)"},
	keySchoolCode:        {"学校代码格式不正确", "Invalid school code"},
	keyCategory:          {"无法识别的学生类别（可填 留守、单亲、困难、随迁、孤儿、残疾）", "Unrecognised category (use 留守, 单亲, 困难, 随迁, 孤儿 or 残疾)"},
	keyYesNo:             {"应填 是 或 否", "Use 是 (yes) or 否 (no)"},
	keyPhone:             {"电话号码格式不正确（11 位手机号或带区号的固定电话）", "Invalid phone number (11-digit mobile or landline with area code)"},
	keyDupStudentNo:      {"学籍号与第 %d 行重复", "Same student number as row %d"},
	keyDupID:             {"身份证号与第 %d 行重复", "Same ID number as row %d"},
	keyPost:              {"无法识别的岗位（可填 校长、专职心理教师、兼职心理教师、班主任、学科教师、德育干部、团委干部、辅导员）", "Unrecognised post (use 校长, 专职心理教师, 兼职心理教师, 班主任, 学科教师, 德育干部, 团委干部 or 辅导员)"},
	keyClassRequired:     {"班主任须填写所带班级", "A class teacher needs a class"},
	keyClassNoGrade:      {"班级未写明年级（例如 初二(3)班）", "The class does not say which grade (for example 初二(3)班)"},
}
