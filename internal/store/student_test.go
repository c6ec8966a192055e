package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/privacy"
)

func TestGetStudent(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		st := c.students[0][1][0]
		classID := c.classes[0][1][0]
		schoolID, districtID := c.schools[0][1], c.districts[0]
		tests := []struct {
			name        string
			sc2         authz.Scope
			unmask      bool
			wantContact bool
			wantID      string // the ID number the contact section shows
			wantAction  string
			wantDetail  string
		}{
			{"a caller with D2 scope sees the contact section with the ID number masked to its last four",
				classScope(classID), false, true, privacy.MaskIDNumber(st.idNumber), audit.ActStudentRead2, ""},
			{"a caller with D2 scope who asks to unmask sees the full ID number, and the entry says so",
				schoolScope(schoolID), true, true, st.idNumber, audit.ActStudentRead2, "unmasked=id_number"},
			{"a caller without D2 scope sees no contact section",
				emptyScope, false, false, "", audit.ActStudentRead, ""},
			{"a caller without D2 scope who asks to unmask still sees no contact section",
				emptyScope, true, false, "", audit.ActStudentRead, ""},
			{"D2 scope over another district gives no contact section",
				districtScope(c.districts[1]), true, false, "", audit.ActStudentRead, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := auditCount(t, s)
				d, err := s.GetStudent(ctx, testActor, districtScope(districtID), tc.sc2, st.id, tc.unmask)
				if err != nil {
					t.Fatalf("GetStudent: %v", err)
				}
				if d.ID != st.id || d.Name != st.name || d.StudentNo != st.no || d.ClassID != classID ||
					d.SchoolID != schoolID || d.DistrictID != districtID || d.BirthDate != st.birth || d.Status != model.Enrolled {
					t.Errorf("GetStudent row = %+v, want the fixture student %+v", d.StudentRow, st)
				}
				if !tc.wantContact {
					if d.Contact != nil {
						t.Errorf("Contact = %+v, want nil", d.Contact)
					}
				} else {
					if d.Contact == nil {
						t.Fatal("Contact = nil, want the contact section")
					}
					if d.Contact.IDNumber != tc.wantID {
						t.Errorf("IDNumber = %q, want %q", d.Contact.IDNumber, tc.wantID)
					}
					if !tc.unmask {
						if want := strings.Repeat("*", 14) + st.idNumber[14:]; d.Contact.IDNumber != want {
							t.Errorf("masked IDNumber = %q, want 14 asterisks and the last four (%q)", d.Contact.IDNumber, want)
						}
					}
					if !slices.Equal(d.Contact.Categories, st.cats) {
						t.Errorf("Categories = %v, want %v", d.Contact.Categories, st.cats)
					}
					if len(d.Contact.Guardians) != len(st.guardians) {
						t.Fatalf("Guardians = %+v, want %+v", d.Contact.Guardians, st.guardians)
					}
					for i, g := range d.Contact.Guardians {
						w := st.guardians[i]
						if g.Name != w.Name || g.Relation != w.Relation || g.Phone != w.Phone || g.ID == 0 {
							t.Errorf("guardian %d = %+v, want %+v", i, g, w)
						}
					}
				}
				if n := auditCount(t, s) - before; n != 1 {
					t.Fatalf("GetStudent appended %d audit entries, want exactly 1", n)
				}
				e := lastAudit(t, s)
				if e.Action != tc.wantAction || e.ObjectType != "student" || e.ObjectID != st.id ||
					e.SchoolID != schoolID || e.DistrictID != districtID || e.Detail != tc.wantDetail {
					t.Errorf("audit entry = %+v, want action %s on student %d (school %d, district %d) with detail %q",
						e, tc.wantAction, st.id, schoolID, districtID, tc.wantDetail)
				}
				if e.ActorID != testActor.UserID || e.ActorRole != testActor.Role || e.IP != testActor.IP ||
					e.RequestID != testActor.RequestID || e.Outcome != "ok" || !e.At.Equal(testEpoch) {
					t.Errorf("audit entry actor/time = %+v, want %+v at %v", e, testActor, testEpoch)
				}
			})
		}

		t.Run("a student outside the D1 scope is not found and the miss is not recorded as a read", func(t *testing.T) {
			before := auditCount(t, s)
			_, err := s.GetStudent(ctx, testActor, districtScope(c.districts[1]), cityScope, st.id, true)
			wantNotFound(t, "GetStudent", err)
			if n := auditCount(t, s) - before; n != 0 {
				t.Errorf("a refused read appended %d audit entries", n)
			}
		})
	})
}

// TestStudentCiphers reads ID numbers back under each field cipher.
func TestStudentCiphers(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		alg   privacy.Algorithm
		algID byte
	}{
		{"ID numbers sealed with AES-256-GCM read back and are found by blind index", privacy.AES256GCM, 1},
		{"ID numbers sealed with SM4-GCM read back and are found by blind index", privacy.SM4GCM, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachEngineWith(t, engineOptions{cipher: tc.alg}, func(t *testing.T, s *Store) {
				c := newCity(t, s)
				for _, st := range c.allStudents() {
					d, err := s.GetStudent(ctx, testActor, cityScope, cityScope, st.id, true)
					if err != nil || d.Contact == nil || d.Contact.IDNumber != st.idNumber {
						t.Errorf("GetStudent(%d) = %+v, %v; want the full ID number", st.id, d.Contact, err)
					}
					id, err := s.FindStudentByIDNumber(ctx, cityScope, st.idNumber)
					if err != nil || id != st.id {
						t.Errorf("FindStudentByIDNumber = %d, %v; want %d", id, err, st.id)
					}
					sealed := rawIDColumn(t, s, st.id)
					if len(sealed) < 2 || sealed[0] != 1 || sealed[1] != tc.algID {
						t.Errorf("sealed header = % x, want version 1 and algorithm id %d", sealed[:min(2, len(sealed))], tc.algID)
					}
				}
			})
		})
	}
}

func rawIDColumn(t testing.TB, s *Store, id int64) []byte {
	t.Helper()
	var b []byte
	if err := s.write.QueryRowContext(context.Background(), s.q("SELECT id_number FROM students WHERE id = ?"), id).Scan(&b); err != nil {
		t.Fatalf("read id_number of %d: %v", id, err)
	}
	return b
}

func rawBlindIndex(t testing.TB, s *Store, id int64) []byte {
	t.Helper()
	var b []byte
	if err := s.write.QueryRowContext(context.Background(), s.q("SELECT id_number_bidx FROM students WHERE id = ?"), id).Scan(&b); err != nil {
		t.Fatalf("read id_number_bidx of %d: %v", id, err)
	}
	return b
}

// snapshotStudent reads the columns a refused call must not change.
func snapshotStudent(t testing.TB, s *Store, id int64) string {
	t.Helper()
	var schoolID, districtID, classID, cats int64
	var no, name, gender, birth, status string
	var sealed, bidx []byte
	err := s.write.QueryRowContext(context.Background(), s.q(`SELECT school_id, district_id, COALESCE(class_id, 0), student_no, name,
		gender, birth_date, status, id_number, id_number_bidx, categories FROM students WHERE id = ?`), id).
		Scan(&schoolID, &districtID, &classID, &no, &name, &gender, &birth, &status, &sealed, &bidx, &cats)
	if err != nil {
		t.Fatalf("snapshot student %d: %v", id, err)
	}
	gs := count(t, s, "guardians", "student_id = ?", id)
	return fmt.Sprintf("%d/%d/%d %s %s %s %s %s %x %x %d g=%d", districtID, schoolID, classID, no, name, gender, birth, status, sealed, bidx, cats, gs)
}

func TestCreateStudent(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		class := c.classes[0][0][0]
		tables := []string{"students", "guardians", "audit_log"}

		t.Run("invalid input is refused field by field and stores nothing", func(t *testing.T) {
			base := newStudent(t, 200)
			otherBirth := "2013-06-15"
			tests := []struct {
				name   string
				mutate func(in *StudentInput)
				sc1    authz.Scope
				sc2    authz.Scope
				want   []string // field=key, in any order
			}{
				{"every identity field missing is reported at once", func(in *StudentInput) { *in = StudentInput{} }, cityScope, cityScope,
					[]string{"class_id=err.required", "student_no=err.required", "name=err.required", "gender=err.required", "birth_date=err.required"}},
				{"a student number with an unknown prefix is refused", func(in *StudentInput) { in.StudentNo = ptr("X510402201401010001") }, cityScope, cityScope,
					[]string{"student_no=err.student_no"}},
				{"a G student number with a wrong check digit is refused", func(in *StudentInput) { in.StudentNo = ptr("G" + wrongCheckChar(base.idNumber)) }, cityScope, cityScope,
					[]string{"student_no=err.student_no"}},
				{"an L student number that is too short is refused", func(in *StudentInput) { in.StudentNo = ptr("L51040220140101") }, cityScope, cityScope,
					[]string{"student_no=err.student_no"}},
				{"an ID number with a wrong check digit is refused", func(in *StudentInput) { in.IDNumber = ptr(wrongCheckChar(base.idNumber)) }, cityScope, cityScope,
					[]string{"id_number=err.id_check_digit"}},
				{"an ID number of the wrong length is refused", func(in *StudentInput) { in.IDNumber = ptr(base.idNumber[:17]) }, cityScope, cityScope,
					[]string{"id_number=err.id_length"}},
				{"an ID number whose birth date differs from the student's is refused", func(in *StudentInput) { in.IDNumber = ptr(idNumber(t, otherBirth, 201)) }, cityScope, cityScope,
					[]string{"id_number=err.id_birth_mismatch"}},
				{"a birth date that is not a date is refused", func(in *StudentInput) { in.BirthDate = ptr("2014-02-30") }, cityScope, cityScope,
					[]string{"birth_date=err.date"}},
				{"a birth date that makes the pupil an adult is refused", func(in *StudentInput) { in.BirthDate = ptr("1990-01-01"); in.IDNumber = nil }, cityScope, cityScope,
					[]string{"birth_date=err.birth_date_range"}},
				{"a name with digits is refused", func(in *StudentInput) { in.Name = ptr("张3") }, cityScope, cityScope,
					[]string{"name=err.person_name"}},
				{"an unknown gender is refused", func(in *StudentInput) { g := model.Gender("X"); in.Gender = &g }, cityScope, cityScope,
					[]string{"gender=err.gender"}},
				{"a guardian with a bad phone is refused", func(in *StudentInput) { (*in.Guardians)[0].Phone = "12345" }, cityScope, cityScope,
					[]string{"guardians[0].phone=err.phone"}},
				{"a guardian with an unknown relation is refused", func(in *StudentInput) { (*in.Guardians)[0].Relation = "uncle" }, cityScope, cityScope,
					[]string{"guardians[0].relation=err.relation"}},
				{"more than four guardians are refused", func(in *StudentInput) {
					g := (*in.Guardians)[0]
					in.Guardians = &[]model.Guardian{g, g, g, g, g}
				}, cityScope, cityScope, []string{"guardians=err.too_many"}},
				{"an unknown category is refused", func(in *StudentInput) { in.Categories = &[]model.Category{model.CatPoor, "rich"} }, cityScope, cityScope,
					[]string{"categories=err.category"}},
				{"a class outside the caller's D1 scope is refused", nil, districtScope(c.districts[1]), cityScope,
					[]string{"class_id=err.out_of_scope"}},
				{"a class that does not exist is refused", func(in *StudentInput) { in.ClassID = ptr(int64(999999)) }, cityScope, cityScope,
					[]string{"class_id=err.out_of_scope"}},
				{"contact fields without D2 write scope are refused", nil, cityScope, districtScope(c.districts[1]),
					[]string{"id_number=err.no_contact_write"}},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					in := studentInput(class, base)
					if tc.mutate != nil {
						tc.mutate(&in)
					}
					before := rowCounts(t, s, tables...)
					_, err := s.CreateStudent(ctx, testActor, tc.sc1, tc.sc2, in)
					got := keysOf(t, err)
					slices.Sort(got)
					want := slices.Clone(tc.want)
					slices.Sort(want)
					if !slices.Equal(got, want) {
						t.Errorf("fields = %v, want %v", got, want)
					}
					if after := rowCounts(t, s, tables...); !mapsEqual(before, after) {
						t.Errorf("row counts changed from %v to %v", before, after)
					}
				})
			}
		})

		t.Run("a valid student is stored with normalised numbers and one audit entry", func(t *testing.T) {
			fs := newStudent(t, 210)
			in := studentInput(class, fs)
			// What people type: surrounding blanks, full-width digits, lower case.
			in.IDNumber = ptr("  " + toFullWidth(fs.idNumber) + "\u3000")
			in.StudentNo = ptr(" l" + fs.no[1:] + " ")
			before := auditCount(t, s)
			id, err := s.CreateStudent(ctx, testActor, classScope(class), classScope(class), in)
			if err != nil {
				t.Fatalf("CreateStudent: %v", err)
			}
			if n := auditCount(t, s) - before; n != 1 {
				t.Errorf("CreateStudent appended %d audit entries, want 1", n)
			}
			if e := lastAudit(t, s); e.Action != audit.ActStudentCreate || e.ObjectID != id || e.SchoolID != c.schools[0][0] || e.DistrictID != c.districts[0] {
				t.Errorf("audit entry = %+v", e)
			}
			d, err := s.GetStudent(ctx, testActor, cityScope, cityScope, id, true)
			if err != nil {
				t.Fatal(err)
			}
			if d.StudentNo != fs.no || d.Contact.IDNumber != fs.idNumber {
				t.Errorf("stored student_no %q, ID %q; want %q, %q", d.StudentNo, d.Contact.IDNumber, fs.no, fs.idNumber)
			}
		})

		t.Run("a student without contact fields needs no D2 scope", func(t *testing.T) {
			fs := newStudent(t, 220)
			fs.idNumber, fs.cats, fs.guardians = "", nil, nil
			id, err := s.CreateStudent(ctx, testActor, cityScope, emptyScope, studentInput(class, fs))
			if err != nil {
				t.Fatalf("CreateStudent: %v", err)
			}
			if b := rawIDColumn(t, s, id); b != nil {
				t.Errorf("id_number = % x, want NULL", b)
			}
		})

		t.Run("a duplicate student number is refused on the student_no field", func(t *testing.T) {
			fs := newStudent(t, 230)
			fs.no = c.students[1][1][1].no
			before := rowCounts(t, s, tables...)
			_, err := s.CreateStudent(ctx, testActor, cityScope, cityScope, studentInput(class, fs))
			if got := keysOf(t, err); !slices.Equal(got, []string{"student_no=err.student_no_taken"}) {
				t.Errorf("fields = %v, want [student_no=err.student_no_taken]", got)
			}
			if after := rowCounts(t, s, tables...); !mapsEqual(before, after) {
				t.Errorf("row counts changed from %v to %v", before, after)
			}
		})

		t.Run("a duplicate ID number is refused on the id_number field", func(t *testing.T) {
			fs := newStudent(t, 240)
			other := c.students[1][1][1]
			fs.birth, fs.idNumber = other.birth, other.idNumber
			fs.no = studentNo(fs.birth, 240)
			before := rowCounts(t, s, tables...)
			_, err := s.CreateStudent(ctx, testActor, cityScope, cityScope, studentInput(class, fs))
			if got := keysOf(t, err); !slices.Equal(got, []string{"id_number=err.id_number_taken"}) {
				t.Errorf("fields = %v, want [id_number=err.id_number_taken]", got)
			}
			if after := rowCounts(t, s, tables...); !mapsEqual(before, after) {
				t.Errorf("row counts changed from %v to %v", before, after)
			}
		})
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// toFullWidth turns ASCII digits and letters into their full-width forms, as
// Chinese input methods type them.
func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '!' && r <= '~' {
			r += 0xFF01 - '!'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestFindStudentByIDNumber(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		st := c.students[1][0][1]
		unknown := idNumber(t, "2014-05-05", 999)
		tests := []struct {
			name    string
			scope   authz.Scope
			query   string
			wantID  int64
			wantErr string // "notfound", "invalid" or ""
		}{
			{"the exact number finds the student", cityScope, st.idNumber, st.id, ""},
			{"a number typed with blanks and full-width digits finds the student", schoolScope(c.schools[1][0]), " " + toFullWidth(st.idNumber) + " ", st.id, ""},
			{"the student's own class scope finds the student", classScope(c.classes[1][0][1]), st.idNumber, st.id, ""},
			{"another district's scope does not find the student", districtScope(c.districts[0]), st.idNumber, 0, "notfound"},
			{"a neighbouring class's scope does not find the student", classScope(c.classes[1][0][0]), st.idNumber, 0, "notfound"},
			{"an empty scope does not find the student", emptyScope, st.idNumber, 0, "notfound"},
			{"a valid number nobody has is not found", cityScope, unknown, 0, "notfound"},
			{"a number with a wrong check digit is refused as invalid", cityScope, wrongCheckChar(st.idNumber), 0, "invalid"},
			{"an empty number is refused as invalid", cityScope, "", 0, "invalid"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				id, err := s.FindStudentByIDNumber(ctx, tc.scope, tc.query)
				switch tc.wantErr {
				case "":
					if err != nil || id != tc.wantID {
						t.Errorf("= %d, %v; want %d", id, err, tc.wantID)
					}
				case "notfound":
					wantNotFound(t, "FindStudentByIDNumber", err)
				case "invalid":
					if got := fieldsOf(t, err); !slices.Equal(got, []string{"id_number"}) {
						t.Errorf("fields = %v, want [id_number]", got)
					}
				}
			})
		}
	})
}

// TestIDNumbersAtRest checks T6.1 and T6.6: the ID number is stored only
// sealed, the blind index is not the number, and on SQLite the plaintext
// occurs nowhere in the database files.
func TestIDNumbersAtRest(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		// An update and a re-seal, so old values went through the WAL too.
		moved := c.students[0][0][0]
		if err := s.UpdateStudent(ctx, testActor, cityScope, cityScope, moved.id, StudentInput{StudentNo: ptr(studentNo(moved.birth, 8888))}); err != nil {
			t.Fatal(err)
		}
		changed := c.students[0][0][1]
		newID := idNumber(t, changed.birth, 777)
		if err := s.UpdateStudent(ctx, testActor, cityScope, cityScope, changed.id, StudentInput{IDNumber: ptr(newID)}); err != nil {
			t.Fatal(err)
		}
		plaintexts := []string{newID}
		for _, st := range c.allStudents() {
			plaintexts = append(plaintexts, st.idNumber)
		}

		t.Run("the id_number and blind index columns never hold the plaintext", func(t *testing.T) {
			for _, st := range c.allStudents() {
				sealed, bidx := rawIDColumn(t, s, st.id), rawBlindIndex(t, s, st.id)
				if len(sealed) == 0 || len(bidx) != 32 {
					t.Fatalf("student %d: sealed %d bytes, blind index %d bytes", st.id, len(sealed), len(bidx))
				}
				for _, p := range plaintexts {
					if bytes.Contains(sealed, []byte(p)) || bytes.Contains(bidx, []byte(p)) {
						t.Errorf("student %d: a stored column contains a plaintext ID number", st.id)
					}
					if bytes.Contains(sealed, []byte(p[:17])) || bytes.Contains(bidx, []byte(p[:17])) {
						t.Errorf("student %d: a stored column contains the first 17 digits of an ID number", st.id)
					}
				}
			}
		})

		t.Run("no text column of any table holds a plaintext ID number", func(t *testing.T) {
			for _, q := range []string{
				"SELECT student_no || '|' || name || '|' || birth_date FROM students",
				"SELECT name || '|' || phone FROM guardians",
				"SELECT actor_role || '|' || ip || '|' || request_id || '|' || action || '|' || object_type || '|' || detail FROM audit_log",
				"SELECT username || '|' || display_name FROM users",
			} {
				rows, err := s.write.QueryContext(ctx, q)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				for rows.Next() {
					var v string
					if err := rows.Scan(&v); err != nil {
						t.Fatal(err)
					}
					for _, p := range plaintexts {
						if strings.Contains(v, p) {
							t.Errorf("%s: a row holds a plaintext ID number", q)
						}
					}
				}
				rows.Close()
			}
		})

		t.Run("the SQLite database, WAL and shared-memory files never hold a plaintext ID number", func(t *testing.T) {
			if s.Engine() != "sqlite" {
				t.Skip("file-level check is for SQLite")
			}
			check := func(when string) {
				path := envOf(t, s).sqlitePath
				for _, f := range []string{path, path + "-wal", path + "-shm"} {
					data, err := os.ReadFile(f)
					if errors.Is(err, os.ErrNotExist) {
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					for _, p := range plaintexts {
						if bytes.Contains(data, []byte(p)) {
							t.Errorf("%s: %s contains a plaintext ID number", when, f)
						}
					}
				}
			}
			if _, err := os.Stat(envOf(t, s).sqlitePath + "-wal"); err != nil {
				t.Errorf("no WAL file after writes: %v", err)
			}
			check("before checkpoint")
			if _, err := s.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
				t.Fatal(err)
			}
			check("after checkpoint")
		})
	})
}

// TestGStudentNumberLeaksIDNumber: a national student number of the G kind
// is "G" followed by the pupil's ID number, and the store keeps student_no
// in plaintext (D1, shown in lists and searchable). The ID number is D2 and
// sealed everywhere else, so a G number puts it back in the clear.
func TestGStudentNumberLeaksIDNumber(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		fs := newStudent(t, 300)
		fs.no = "G" + fs.idNumber
		id, err := s.CreateStudent(ctx, testActor, cityScope, cityScope, studentInput(c.classes[0][0][0], fs))
		if err != nil {
			t.Fatalf("CreateStudent with a G number: %v", err)
		}
		rows, _, err := s.ListStudents(ctx, testActor, classScope(c.classes[0][0][0]), StudentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.ID == id && strings.Contains(r.StudentNo, fs.idNumber) {
				t.Errorf("a D1 list shows the full ID number inside the student number %q (it is D2 and should be masked or sealed)", privacy.MaskIDNumber(r.StudentNo))
			}
		}
		if n := count(t, s, "students", "student_no LIKE ?", "%"+fs.idNumber+"%"); n != 0 {
			t.Errorf("the plaintext ID number is stored in students.student_no (%d row)", n)
		}
	})
}

// TestCiphertextSwap checks T6.2: a sealed ID number copied to another row
// does not open there (the student number is in the associated data).
func TestCiphertextSwap(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		a, b := c.students[0][0][0], c.students[0][0][1]
		exec(t, s, "UPDATE students SET id_number = ? WHERE id = ?", rawIDColumn(t, s, a.id), b.id)
		before := auditCount(t, s)

		t.Run("the copied ID number does not decrypt for the other student", func(t *testing.T) {
			for _, unmask := range []bool{false, true} {
				d, err := s.GetStudent(ctx, testActor, cityScope, cityScope, b.id, unmask)
				if !errors.Is(err, privacy.ErrDecrypt) {
					t.Errorf("GetStudent(unmask=%v) error = %v, want ErrDecrypt", unmask, err)
				}
				if d.Contact != nil && d.Contact.IDNumber != "" {
					t.Errorf("GetStudent(unmask=%v) returned an ID number", unmask)
				}
			}
		})
		t.Run("the failure is logged without the ID number", func(t *testing.T) {
			logs := envOf(t, s).logs.String()
			if !strings.Contains(logs, "does not decrypt") || !strings.Contains(logs, fmt.Sprintf("student_id=%d", b.id)) {
				t.Errorf("log does not record the decryption failure for student %d:\n%s", b.id, logs)
			}
			for _, p := range []string{a.idNumber, b.idNumber, a.name, b.name} {
				if strings.Contains(logs, p) {
					t.Error("log contains personal data")
				}
			}
		})
		t.Run("no read is recorded for the failed read", func(t *testing.T) {
			if n := auditCount(t, s) - before; n != 0 {
				t.Errorf("failed reads appended %d audit entries", n)
			}
		})
		t.Run("the other student's roster data stays readable without D2", func(t *testing.T) {
			d, err := s.GetStudent(ctx, testActor, cityScope, emptyScope, b.id, false)
			if err != nil || d.Name != b.name {
				t.Errorf("GetStudent without D2 = %q, %v", d.Name, err)
			}
		})
		t.Run("the original owner still reads its own ID number", func(t *testing.T) {
			d, err := s.GetStudent(ctx, testActor, cityScope, cityScope, a.id, true)
			if err != nil || d.Contact == nil || d.Contact.IDNumber != a.idNumber {
				t.Errorf("GetStudent(a) = %+v, %v", d.Contact, err)
			}
		})
	})
}

func TestUpdateStudent(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		n := 400
		// fresh creates a new student in class [0][0][0] for one subtest.
		fresh := func(t *testing.T) fixtureStudent {
			n++
			fs := newStudent(t, n)
			fs.id = createStudent(t, s, c.classes[0][0][0], fs)
			return fs
		}
		readID := func(t *testing.T, id int64) string {
			t.Helper()
			d, err := s.GetStudent(ctx, testActor, cityScope, cityScope, id, true)
			if err != nil {
				t.Fatalf("GetStudent: %v", err)
			}
			return d.Contact.IDNumber
		}
		oneEntry := func(t *testing.T, before int, wantFields ...string) {
			t.Helper()
			if n := auditCount(t, s) - before; n != 1 {
				t.Errorf("appended %d audit entries, want 1", n)
			}
			e := lastAudit(t, s)
			got := strings.Split(strings.TrimPrefix(e.Detail, "fields="), ",")
			if e.Action != audit.ActStudentUpdate || !strings.HasPrefix(e.Detail, "fields=") {
				t.Errorf("audit entry = %s %q, want %s fields=…", e.Action, e.Detail, audit.ActStudentUpdate)
			}
			for _, f := range wantFields {
				if !slices.Contains(got, f) {
					t.Errorf("audit detail %q does not name the field %s", e.Detail, f)
				}
			}
		}

		t.Run("changing the student number re-seals the ID number so it still decrypts", func(t *testing.T) {
			fs := fresh(t)
			oldSealed, oldBidx := rawIDColumn(t, s, fs.id), rawBlindIndex(t, s, fs.id)
			newNo := studentNo(fs.birth, 9000+n)
			before := auditCount(t, s)
			if err := s.UpdateStudent(ctx, testActor, cityScope, emptyScope, fs.id, StudentInput{StudentNo: ptr(newNo)}); err != nil {
				t.Fatalf("UpdateStudent: %v", err)
			}
			oneEntry(t, before, "student_no", "id_number")
			if got := readID(t, fs.id); got != fs.idNumber {
				t.Errorf("ID number after renumbering = %q, want %q", got, fs.idNumber)
			}
			if bytes.Equal(rawIDColumn(t, s, fs.id), oldSealed) {
				t.Error("the sealed ID number was not re-sealed")
			}
			if !bytes.Equal(rawBlindIndex(t, s, fs.id), oldBidx) {
				t.Error("the blind index changed although the ID number did not")
			}
			if id, err := s.FindStudentByIDNumber(ctx, cityScope, fs.idNumber); err != nil || id != fs.id {
				t.Errorf("FindStudentByIDNumber after renumbering = %d, %v", id, err)
			}
			// The old ciphertext no longer opens under the new number.
			if _, err := s.keys.Open(oldSealed, idNumberAAD(s.studentNoIndex(newNo))); err == nil {
				t.Error("the old ciphertext opens under the new student number")
			}
		})

		t.Run("changing the ID number moves the blind index", func(t *testing.T) {
			fs := fresh(t)
			newID := idNumber(t, fs.birth, 800+n%100)
			before := auditCount(t, s)
			if err := s.UpdateStudent(ctx, testActor, cityScope, cityScope, fs.id, StudentInput{IDNumber: ptr(newID)}); err != nil {
				t.Fatalf("UpdateStudent: %v", err)
			}
			oneEntry(t, before, "id_number")
			if got := readID(t, fs.id); got != newID {
				t.Errorf("ID number = %q, want %q", got, newID)
			}
			if id, err := s.FindStudentByIDNumber(ctx, cityScope, newID); err != nil || id != fs.id {
				t.Errorf("find by new ID = %d, %v", id, err)
			}
			_, err := s.FindStudentByIDNumber(ctx, cityScope, fs.idNumber)
			wantNotFound(t, "find by old ID", err)
		})

		t.Run("changing both the student number and the ID number seals the new ID under the new number", func(t *testing.T) {
			fs := fresh(t)
			newID, newNo := idNumber(t, fs.birth, 850+n%100), studentNo(fs.birth, 9500+n)
			if err := s.UpdateStudent(ctx, testActor, cityScope, cityScope, fs.id, StudentInput{StudentNo: ptr(newNo), IDNumber: ptr(newID)}); err != nil {
				t.Fatalf("UpdateStudent: %v", err)
			}
			if got := readID(t, fs.id); got != newID {
				t.Errorf("ID number = %q, want %q", got, newID)
			}
		})

		t.Run("an empty ID number clears the sealed value and the blind index", func(t *testing.T) {
			fs := fresh(t)
			if err := s.UpdateStudent(ctx, testActor, cityScope, cityScope, fs.id, StudentInput{IDNumber: ptr("")}); err != nil {
				t.Fatalf("UpdateStudent: %v", err)
			}
			if got := readID(t, fs.id); got != "" {
				t.Errorf("ID number = %q, want none", got)
			}
			if b := rawBlindIndex(t, s, fs.id); b != nil {
				t.Errorf("blind index = % x, want NULL", b)
			}
			_, err := s.FindStudentByIDNumber(ctx, cityScope, fs.idNumber)
			wantNotFound(t, "find by cleared ID", err)
		})

		t.Run("guardians and categories are replaced", func(t *testing.T) {
			fs := fresh(t)
			gs := []model.Guardian{{Name: synthName(n + 5), Relation: model.RelGrandmother, Phone: synthPhone(n + 5)}}
			cats := []model.Category{model.CatOrphan}
			if err := s.UpdateStudent(ctx, testActor, cityScope, cityScope, fs.id, StudentInput{Guardians: &gs, Categories: &cats}); err != nil {
				t.Fatalf("UpdateStudent: %v", err)
			}
			d, err := s.GetStudent(ctx, testActor, cityScope, cityScope, fs.id, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Contact.Guardians) != 1 || d.Contact.Guardians[0].Name != gs[0].Name || !slices.Equal(d.Contact.Categories, cats) {
				t.Errorf("contact = %+v", d.Contact)
			}
		})

		refusals := []struct {
			name    string
			sc1     authz.Scope
			sc2     authz.Scope
			in      func(fs fixtureStudent) StudentInput
			wantErr func(t *testing.T, err error)
		}{
			{"contact fields without D2 scope answer not found", cityScope, emptyScope,
				func(fs fixtureStudent) StudentInput { return StudentInput{IDNumber: ptr(idNumber(t, fs.birth, 1))} },
				func(t *testing.T, err error) { wantNotFound(t, "UpdateStudent", err) }},
			{"a student outside the D1 scope answers not found", districtScope(c.districts[1]), cityScope,
				func(fixtureStudent) StudentInput { return StudentInput{Name: ptr("改名")} },
				func(t *testing.T, err error) { wantNotFound(t, "UpdateStudent", err) }},
			{"a class in another school is refused", cityScope, cityScope,
				func(fixtureStudent) StudentInput { return StudentInput{ClassID: ptr(c.classes[0][1][0])} },
				func(t *testing.T, err error) { wantKeys(t, err, "class_id=err.class_other_school") }},
			{"a class outside the D1 scope is refused", schoolScope(c.schools[0][0]), cityScope,
				func(fixtureStudent) StudentInput { return StudentInput{ClassID: ptr(c.classes[1][0][0])} },
				func(t *testing.T, err error) { wantKeys(t, err, "class_id=err.out_of_scope") }},
			{"another student's number is refused on student_no", cityScope, cityScope,
				func(fixtureStudent) StudentInput { return StudentInput{StudentNo: ptr(c.students[1][0][0].no)} },
				func(t *testing.T, err error) { wantKeys(t, err, "student_no=err.student_no_taken") }},
			{"another student's ID number is refused on id_number", cityScope, cityScope,
				func(fixtureStudent) StudentInput {
					o := c.students[1][0][0]
					return StudentInput{BirthDate: ptr(o.birth), IDNumber: ptr(o.idNumber)}
				},
				func(t *testing.T, err error) { wantKeys(t, err, "id_number=err.id_number_taken") }},
			{"an ID number with a wrong check digit is refused", cityScope, cityScope,
				func(fs fixtureStudent) StudentInput { return StudentInput{IDNumber: ptr(wrongCheckChar(fs.idNumber))} },
				func(t *testing.T, err error) { wantKeys(t, err, "id_number=err.id_check_digit") }},
			{"an ID number whose birth date differs from the stored birth date is refused", cityScope, cityScope,
				func(fs fixtureStudent) StudentInput { return StudentInput{IDNumber: ptr(idNumber(t, "2013-06-15", 5))} },
				func(t *testing.T, err error) { wantKeys(t, err, "id_number=err.id_birth_mismatch") }},
		}
		for _, tc := range refusals {
			t.Run(tc.name+" and changes nothing", func(t *testing.T) {
				fs := fresh(t)
				snap, entries := snapshotStudent(t, s, fs.id), auditCount(t, s)
				err := s.UpdateStudent(ctx, testActor, tc.sc1, tc.sc2, fs.id, tc.in(fs))
				if err == nil {
					t.Fatal("UpdateStudent succeeded")
				}
				tc.wantErr(t, err)
				if got := snapshotStudent(t, s, fs.id); got != snap {
					t.Errorf("student changed:\n%s\n%s", snap, got)
				}
				if n := auditCount(t, s) - entries; n != 0 {
					t.Errorf("a refused update appended %d audit entries", n)
				}
			})
		}
	})
}

func wantKeys(t *testing.T, err error, want ...string) {
	t.Helper()
	got := keysOf(t, err)
	if !slices.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
}

func TestMoveStudent(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		home := c.classes[0][0][0]
		n := 500
		fresh := func(t *testing.T) fixtureStudent {
			n++
			fs := newStudent(t, n)
			fs.id = createStudent(t, s, home, fs)
			return fs
		}
		type where struct {
			district, school, class int64
			status                  model.StudentStatus
		}
		locate := func(t *testing.T, id int64) where {
			t.Helper()
			var w where
			err := s.write.QueryRowContext(ctx, s.q("SELECT district_id, school_id, COALESCE(class_id, 0), status FROM students WHERE id = ?"), id).
				Scan(&w.district, &w.school, &w.class, &w.status)
			if err != nil {
				t.Fatal(err)
			}
			return w
		}
		d1, s11, s12, s21 := c.districts[0], c.schools[0][0], c.schools[0][1], c.schools[1][0]

		accepted := []struct {
			name       string
			scope      authz.Scope
			in         MoveInput
			want       where
			wantDetail string
		}{
			{"a class move within the school", schoolScope(s11), MoveInput{Kind: MoveClass, ClassID: c.classes[0][0][1]},
				where{d1, s11, c.classes[0][0][1], model.Enrolled}, fmt.Sprintf("kind=class from_class=%d to_class=%d", home, c.classes[0][0][1])},
			{"a transfer to another district's school leaves the student without a class", schoolScope(s11), MoveInput{Kind: MoveTransfer, SchoolID: s21},
				where{c.districts[1], s21, 0, model.Enrolled}, fmt.Sprintf("kind=transfer from_school=%d to_school=%d", s11, s21)},
			{"a transfer out of the city", classScope(home), MoveInput{Kind: MoveTransfer},
				where{d1, s11, home, model.Transferred}, "kind=transfer to=outside_city"},
			{"a graduation", districtScope(d1), MoveInput{Kind: MoveGraduate},
				where{d1, s11, home, model.Graduated}, "kind=graduate"},
		}
		for _, tc := range accepted {
			t.Run(tc.name+" is recorded with one audit entry", func(t *testing.T) {
				fs := fresh(t)
				before := auditCount(t, s)
				if err := s.MoveStudent(ctx, testActor, tc.scope, fs.id, tc.in); err != nil {
					t.Fatalf("MoveStudent: %v", err)
				}
				if got := locate(t, fs.id); got != tc.want {
					t.Errorf("student is at %+v, want %+v", got, tc.want)
				}
				if n := auditCount(t, s) - before; n != 1 {
					t.Errorf("appended %d audit entries, want 1", n)
				}
				if e := lastAudit(t, s); e.Action != audit.ActStudentMove || e.ObjectID != fs.id || e.Detail != tc.wantDetail ||
					e.SchoolID != s11 || e.DistrictID != d1 {
					t.Errorf("audit entry = %+v, want %s %q at the sending school", e, audit.ActStudentMove, tc.wantDetail)
				}
			})
		}

		t.Run("after a transfer the receiving school sees the student and the sender does not", func(t *testing.T) {
			fs := fresh(t)
			if err := s.MoveStudent(ctx, testActor, districtScope(d1), fs.id, MoveInput{Kind: MoveTransfer, SchoolID: s21}); err != nil {
				t.Fatal(err)
			}
			_, err := s.GetStudent(ctx, testActor, districtScope(d1), districtScope(d1), fs.id, false)
			wantNotFound(t, "GetStudent by the sending district", err)
			d, err := s.GetStudent(ctx, testActor, schoolScope(s21), schoolScope(s21), fs.id, true)
			if err != nil {
				t.Fatalf("GetStudent by the receiving school: %v", err)
			}
			if d.ClassID != 0 || d.Contact == nil || d.Contact.IDNumber != fs.idNumber || len(d.Contact.Guardians) != 1 {
				t.Errorf("received student = %+v / %+v", d.StudentRow, d.Contact)
			}
			if n := count(t, s, "guardians", "student_id = ? AND school_id = ? AND district_id = ?", fs.id, s21, c.districts[1]); n != 1 {
				t.Errorf("guardians did not move with the student (%d at the new school)", n)
			}
			if n, err := s.UnplacedStudents(ctx, schoolScope(s21), s21); err != nil || n < 1 {
				t.Errorf("UnplacedStudents(receiving school) = %d, %v", n, err)
			}
			if n, err := s.UnplacedStudents(ctx, schoolScope(s11), s21); err != nil || n != 0 {
				t.Errorf("UnplacedStudents(out of scope) = %d, %v; want 0", n, err)
			}
			rows, _, err := s.ListStudents(ctx, testActor, districtScope(d1), StudentFilter{Status: "all"})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.ID == fs.id {
					t.Error("the sending district still lists the transferred student")
				}
			}
		})

		refusals := []struct {
			name    string
			scope   authz.Scope
			prepare func(t *testing.T, fs fixtureStudent)
			in      MoveInput
			wantErr func(t *testing.T, err error)
		}{
			{"a class move to another school's class", cityScope, nil, MoveInput{Kind: MoveClass, ClassID: c.classes[0][1][0]},
				func(t *testing.T, err error) { wantKeys(t, err, "class_id=err.class_other_school") }},
			{"a class move to a class outside the scope", classScope(home), nil, MoveInput{Kind: MoveClass, ClassID: c.classes[0][0][1]},
				func(t *testing.T, err error) { wantKeys(t, err, "class_id=err.out_of_scope") }},
			{"a class move to a class that does not exist", cityScope, nil, MoveInput{Kind: MoveClass, ClassID: 999999},
				func(t *testing.T, err error) { wantKeys(t, err, "class_id=err.out_of_scope") }},
			{"a transfer to the same school", cityScope, nil, MoveInput{Kind: MoveTransfer, SchoolID: s11},
				func(t *testing.T, err error) { wantKeys(t, err, "school_id=err.same_school") }},
			{"a transfer to a school that does not exist", cityScope, nil, MoveInput{Kind: MoveTransfer, SchoolID: 999999},
				func(t *testing.T, err error) { wantKeys(t, err, "school_id=err.no_such_school") }},
			{"an unknown kind of move", cityScope, nil, MoveInput{Kind: "expel"},
				func(t *testing.T, err error) { wantKeys(t, err, "kind=err.move_kind") }},
			{"any move of a student outside the scope", schoolScope(s12), nil, MoveInput{Kind: MoveGraduate},
				func(t *testing.T, err error) { wantNotFound(t, "MoveStudent", err) }},
			{"any move of a graduated student", cityScope, func(t *testing.T, fs fixtureStudent) {
				if err := s.MoveStudent(ctx, testActor, cityScope, fs.id, MoveInput{Kind: MoveGraduate}); err != nil {
					t.Fatal(err)
				}
			}, MoveInput{Kind: MoveClass, ClassID: c.classes[0][0][1]},
				func(t *testing.T, err error) { wantKeys(t, err, "kind=err.not_enrolled") }},
		}
		for _, tc := range refusals {
			t.Run(tc.name+" is refused and changes nothing", func(t *testing.T) {
				fs := fresh(t)
				if tc.prepare != nil {
					tc.prepare(t, fs)
				}
				snap, entries := snapshotStudent(t, s, fs.id), auditCount(t, s)
				err := s.MoveStudent(ctx, testActor, tc.scope, fs.id, tc.in)
				if err == nil {
					t.Fatal("MoveStudent succeeded")
				}
				tc.wantErr(t, err)
				if got := snapshotStudent(t, s, fs.id); got != snap {
					t.Errorf("student changed:\n%s\n%s", snap, got)
				}
				if n := auditCount(t, s) - entries; n != 0 {
					t.Errorf("a refused move appended %d audit entries", n)
				}
			})
		}
	})
}
