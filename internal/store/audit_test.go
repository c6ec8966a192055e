package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/model"
)

// TestAuditEveryChange checks T5.1 at the store: each change (and each read
// of a named child) appends exactly one entry with the right action, and a
// refused change appends none.
func TestAuditEveryChange(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		uid, err := s.CreateUser(ctx, testActor, NewUser{Username: "audit.subject", DisplayName: "审计对象", PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAgency(ctx, testActor, model.Agency{Kind: model.Agency12355, Name: "测试青少年服务台"}); err != nil {
			t.Fatal(err)
		}
		n := 600
		var tokenID int64
		var assignmentID int64

		changes := []struct {
			name    string
			action  string
			entries int
			do      func() error
		}{
			{"creating a school", audit.ActSchoolCreate, 1, func() error {
				_, err := s.CreateSchool(ctx, testActor, cityScope, SchoolInput{DistrictID: c.districts[0], Code: "S-AUD1", Name: "审计小学", Type: model.Primary})
				return err
			}},
			{"updating a school", audit.ActSchoolUpdate, 1, func() error {
				return s.UpdateSchool(ctx, testActor, cityScope, c.schools[0][0], SchoolInput{Code: "S11-NEW", Name: "改名小学", Type: model.Primary})
			}},
			{"creating a class", audit.ActClassCreate, 1, func() error {
				_, err := s.CreateClass(ctx, testActor, cityScope, ClassInput{SchoolID: c.schools[0][0], StartYear: 2025, Grade: 5, Number: 1})
				return err
			}},
			{"creating an agency", "agency.created", 1, func() error {
				_, err := s.CreateAgency(ctx, testActor, model.Agency{Kind: model.AgencyHealthCentre, Name: "测试诊断中心"})
				return err
			}},
			{"creating a staff member", audit.ActStaffCreate, 1, func() error {
				_, err := s.CreateStaff(ctx, testActor, cityScope, StaffInput{SchoolID: c.schools[0][0], Name: synthName(61), Gender: model.Male,
					Posts: []model.StaffPost{{Post: model.PostPsychFullTime}}})
				return err
			}},
			{"updating a staff member", audit.ActStaffUpdate, 1, func() error {
				return s.UpdateStaff(ctx, testActor, cityScope, c.staff[0][0], StaffInput{Name: synthName(62), Gender: model.Female,
					Posts: []model.StaffPost{{Post: model.PostCounsellor}}})
			}},
			{"creating a student", audit.ActStudentCreate, 1, func() error {
				n++
				_, err := s.CreateStudent(ctx, testActor, cityScope, cityScope, studentInput(c.classes[0][0][0], newStudent(t, n)))
				return err
			}},
			{"updating a student", audit.ActStudentUpdate, 1, func() error {
				return s.UpdateStudent(ctx, testActor, cityScope, cityScope, c.students[0][0][0].id, StudentInput{Name: ptr("改名")})
			}},
			{"moving a student", audit.ActStudentMove, 1, func() error {
				return s.MoveStudent(ctx, testActor, cityScope, c.students[0][0][1].id, MoveInput{Kind: MoveClass, ClassID: c.classes[0][0][0]})
			}},
			{"reading a student", audit.ActStudentRead, 1, func() error {
				_, err := s.GetStudent(ctx, testActor, cityScope, emptyScope, c.students[1][0][0].id, false)
				return err
			}},
			{"listing students", "student.listed", 1, func() error {
				_, _, err := s.ListStudents(ctx, testActor, cityScope, StudentFilter{ClassID: c.classes[1][0][0]})
				return err
			}},
			{"creating a user", audit.ActUserCreated, 1, func() error {
				_, err := s.CreateUser(ctx, testActor, NewUser{Username: "audit.new", DisplayName: "新用户", PasswordHash: "x"})
				return err
			}},
			{"creating a user with two assignments (one entry per grant)", audit.ActAssignGranted, 3, func() error {
				_, err := s.CreateUser(ctx, testActor, NewUser{Username: "audit.two", DisplayName: "两职", PasswordHash: "x",
					Assignments: []authz.Assignment{{Role: authz.Principal, SchoolID: c.schools[0][0]}, {Role: authz.ClassTeacher, ClassID: c.classes[0][0][0]}}})
				return err
			}},
			{"granting an assignment", audit.ActAssignGranted, 1, func() error {
				if err := s.AddAssignment(ctx, testActor, uid, authz.Assignment{Role: authz.Teacher, ClassID: c.classes[0][1][0]}); err != nil {
					return err
				}
				as, err := s.Assignments(ctx, uid)
				if len(as) > 0 {
					assignmentID = as[0].ID
				}
				return err
			}},
			{"revoking an assignment", audit.ActAssignRevoked, 1, func() error {
				return s.RemoveAssignment(ctx, testActor, uid, assignmentID)
			}},
			{"setting a password", audit.ActPasswordSet, 1, func() error { return s.SetPassword(ctx, testActor, uid, "new-hash") }},
			{"disabling a user", audit.ActUserDisabled, 1, func() error { return s.SetDisabled(ctx, testActor, uid, true) }},
			{"re-enabling a user", audit.ActUserUpdated, 1, func() error { return s.SetDisabled(ctx, testActor, uid, false) }},
			{"recording a login", audit.ActLogin, 1, func() error { return s.RecordLogin(ctx, testActor, uid) }},
			{"enabling TOTP", audit.ActMFAEnabled, 1, func() error {
				return s.EnableTOTP(ctx, testActor, uid, []byte("sealed-secret"), 100, []string{"h1", "h2"})
			}},
			{"creating an API token", audit.ActTokenCreated, 1, func() error {
				var err error
				tokenID, err = s.CreateToken(ctx, testActor, uid, "脚本", []byte("token-hash-audit"), testEpoch.Add(time.Hour))
				return err
			}},
			{"revoking an API token", audit.ActTokenRevoked, 1, func() error { return s.RevokeToken(ctx, testActor, uid, tokenID) }},
			{"an explicit audit call", audit.ActLoginFailed, 1, func() error {
				return s.Audit(ctx, testActor, audit.ActLoginFailed, "user", 0, "denied", "reason=password")
			}},
		}
		for _, tc := range changes {
			t.Run(tc.name+" appends exactly its entries", func(t *testing.T) {
				before := auditCount(t, s)
				if err := tc.do(); err != nil {
					t.Fatalf("change failed: %v", err)
				}
				if got := auditCount(t, s) - before; got != tc.entries {
					t.Errorf("appended %d entries, want %d", got, tc.entries)
				}
				e := lastAudit(t, s)
				if e.Action != tc.action {
					t.Errorf("last action = %q, want %q", e.Action, tc.action)
				}
				if e.Seq != int64(before+tc.entries) {
					t.Errorf("last seq = %d, want %d", e.Seq, before+tc.entries)
				}
				if e.ActorID != testActor.UserID || e.ActorRole != testActor.Role || e.IP != testActor.IP || e.RequestID != testActor.RequestID {
					t.Errorf("entry actor = %d %q %q %q, want %+v", e.ActorID, e.ActorRole, e.IP, e.RequestID, testActor)
				}
				if !e.At.Equal(testEpoch) || e.At.Location() != time.UTC {
					t.Errorf("entry time = %v, want %v in UTC", e.At, testEpoch)
				}
			})
		}

		refused := []struct {
			name string
			do   func() error
		}{
			{"an invalid school", func() error {
				_, err := s.CreateSchool(ctx, testActor, cityScope, SchoolInput{DistrictID: c.districts[0], Code: "x", Name: "", Type: "castle"})
				return err
			}},
			{"a school in a district outside the scope", func() error {
				_, err := s.CreateSchool(ctx, testActor, districtScope(c.districts[1]), SchoolInput{DistrictID: c.districts[0], Code: "S-OUT", Name: "越权小学", Type: model.Primary})
				return err
			}},
			{"a school with a duplicate code", func() error {
				_, err := s.CreateSchool(ctx, testActor, cityScope, SchoolInput{DistrictID: c.districts[0], Code: "S-AUD1", Name: "重复小学", Type: model.Primary})
				return err
			}},
			{"an update of a school outside the scope", func() error {
				return s.UpdateSchool(ctx, testActor, districtScope(c.districts[1]), c.schools[0][1], SchoolInput{Code: "S12-X", Name: "越权", Type: model.Primary})
			}},
			{"a class for a grade the school does not teach", func() error {
				_, err := s.CreateClass(ctx, testActor, cityScope, ClassInput{SchoolID: c.schools[0][0], StartYear: 2025, Grade: 11, Number: 1})
				return err
			}},
			{"a staff member at a school outside the scope", func() error {
				_, err := s.CreateStaff(ctx, testActor, schoolScope(c.schools[1][0]), StaffInput{SchoolID: c.schools[0][0], Name: synthName(63), Gender: model.Male,
					Posts: []model.StaffPost{{Post: model.PostCounsellor}}})
				return err
			}},
			{"a class-teacher post for another school's class", func() error {
				_, err := s.CreateStaff(ctx, testActor, cityScope, StaffInput{SchoolID: c.schools[0][0], Name: synthName(64), Gender: model.Male,
					Posts: []model.StaffPost{{Post: model.PostClassTeacher, ClassID: c.classes[1][1][1]}}})
				return err
			}},
			{"a duplicate agency name", func() error {
				_, err := s.CreateAgency(ctx, testActor, model.Agency{Kind: model.Agency12355, Name: "测试青少年服务台"})
				return err
			}},
			{"a user whose second assignment breaks separation of duties", func() error {
				_, err := s.CreateUser(ctx, testActor, NewUser{Username: "audit.sod", DisplayName: "越界", PasswordHash: "x",
					Assignments: []authz.Assignment{{Role: authz.Principal, SchoolID: c.schools[0][0]}, {Role: authz.SysAdmin}}})
				return err
			}},
			{"a password for a user that does not exist", func() error { return s.SetPassword(ctx, testActor, 999999, "h") }},
			{"revoking another user's token", func() error { return s.RevokeToken(ctx, testActor, uid+1000, tokenID) }},
		}
		for _, tc := range refused {
			t.Run(tc.name+" is refused and appends nothing", func(t *testing.T) {
				before := rowCounts(t, s, "audit_log", "schools", "classes", "staff", "staff_posts", "agencies", "users", "assignments")
				if err := tc.do(); err == nil {
					t.Fatal("the change succeeded")
				}
				if after := rowCounts(t, s, "audit_log", "schools", "classes", "staff", "staff_posts", "agencies", "users", "assignments"); !mapsEqual(before, after) {
					t.Errorf("row counts changed from %v to %v", before, after)
				}
			})
		}

		t.Run("the chain verifies over every entry", func(t *testing.T) {
			n, err := s.VerifyAudit(ctx)
			if err != nil {
				t.Fatalf("VerifyAudit: %v", err)
			}
			if want := auditCount(t, s); n != int64(want) {
				t.Errorf("VerifyAudit checked %d entries, want %d", n, want)
			}
		})

		t.Run("no entry holds a name, ID number, phone or student number", func(t *testing.T) {
			var pii []string
			for _, st := range c.allStudents() {
				pii = append(pii, st.name, st.idNumber, st.no)
				for _, g := range st.guardians {
					pii = append(pii, g.Name, g.Phone)
				}
			}
			entries, err := s.SearchAudit(ctx, AuditFilter{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				text := fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s", e.ActorRole, e.IP, e.RequestID, e.Action, e.ObjectType, e.Outcome, e.Detail)
				for _, p := range pii {
					if strings.Contains(text, p) {
						t.Errorf("audit entry %d (%s) contains personal data", e.Seq, e.Action)
					}
				}
			}
		})
	})
}

// dropAuditGuards removes the append-only triggers, as an attacker with
// direct database access could.
func dropAuditGuards(t testing.TB, s *Store) {
	t.Helper()
	if s.Engine() == "postgres" {
		exec(t, s, "DROP TRIGGER audit_log_no_update ON audit_log")
		return
	}
	exec(t, s, "DROP TRIGGER audit_log_no_update")
	exec(t, s, "DROP TRIGGER audit_log_no_delete")
}

// TestAuditTamper checks T5.3: with the guards dropped, any edit of the
// stored log is caught and the verifier names the first bad seq.
func TestAuditTamper(t *testing.T) {
	ctx := context.Background()
	const entries = 6
	tests := []struct {
		name    string
		tamper  func(t *testing.T, s *Store)
		wantSeq int
	}{
		{"one changed byte in an entry's detail is caught at that entry", func(t *testing.T, s *Store) {
			var detail string
			if err := s.write.QueryRowContext(ctx, s.q("SELECT detail FROM audit_log WHERE seq = ?"), 3).Scan(&detail); err != nil {
				t.Fatal(err)
			}
			b := []byte(detail)
			b[len(b)-1] ^= 0x01
			exec(t, s, "UPDATE audit_log SET detail = ? WHERE seq = ?", string(b), 3)
		}, 3},
		{"a changed timestamp is caught at that entry", func(t *testing.T, s *Store) {
			exec(t, s, "UPDATE audit_log SET at = at + 1 WHERE seq = ?", 2)
		}, 2},
		{"a changed actor is caught at that entry", func(t *testing.T, s *Store) {
			exec(t, s, "UPDATE audit_log SET actor_id = ? WHERE seq = ?", 1, 5)
		}, 5},
		{"a deleted middle entry is caught at its seq", func(t *testing.T, s *Store) {
			exec(t, s, "DELETE FROM audit_log WHERE seq = ?", 3)
		}, 3},
		{"a deleted first entry is caught at seq 1", func(t *testing.T, s *Store) {
			exec(t, s, "DELETE FROM audit_log WHERE seq = ?", 1)
		}, 1},
		{"a deleted last entry is caught against the head", func(t *testing.T, s *Store) {
			exec(t, s, "DELETE FROM audit_log WHERE seq = ?", entries)
		}, entries},
		{"two swapped entries are caught at the first of them", func(t *testing.T, s *Store) {
			exec(t, s, "UPDATE audit_log SET seq = ? WHERE seq = ?", -1, 3)
			exec(t, s, "UPDATE audit_log SET seq = ? WHERE seq = ?", 3, 4)
			exec(t, s, "UPDATE audit_log SET seq = ? WHERE seq = ?", 4, -1)
		}, 3},
		{"an entry rewritten with a recomputed hash is caught at the next entry", func(t *testing.T, s *Store) {
			es, err := s.SearchAudit(ctx, AuditFilter{BeforeSeq: 5, Limit: 1})
			if err != nil || len(es) != 1 || es[0].Seq != 4 {
				t.Fatalf("read entry 4: %v %v", es, err)
			}
			e := es[0]
			e.Detail = "forged"
			s.auditAlg.Link(e.PrevHash, &e)
			exec(t, s, "UPDATE audit_log SET detail = ?, hash = ? WHERE seq = ?", e.Detail, e.Hash, 4)
		}, 5},
		{"a forged entry appended after the head is caught", func(t *testing.T, s *Store) {
			var prev []byte
			if err := s.write.QueryRowContext(ctx, s.q("SELECT hash FROM audit_log WHERE seq = ?"), entries).Scan(&prev); err != nil {
				t.Fatal(err)
			}
			e := audit.Entry{Seq: entries + 1, At: testEpoch, ActorRole: "system", Action: "forged", ObjectType: "user", Outcome: "ok"}
			s.auditAlg.Link(prev, &e)
			exec(t, s, `INSERT INTO audit_log (seq, at, actor_id, actor_role, ip, request_id, action, object_type, object_id,
				school_id, district_id, outcome, detail, prev_hash, hash) VALUES (?, ?, 0, 'system', '', '', 'forged', 'user', 0, 0, 0, 'ok', '', ?, ?)`,
				e.Seq, e.At.UnixMilli(), e.PrevHash, e.Hash)
		}, entries + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eachEngine(t, func(t *testing.T, s *Store) {
				for i := range entries {
					if err := s.Audit(ctx, testActor, audit.ActLogin, "user", int64(i+1), "ok", fmt.Sprintf("attempt=%d", i+1)); err != nil {
						t.Fatal(err)
					}
				}
				if n, err := s.VerifyAudit(ctx); err != nil || n != entries {
					t.Fatalf("clean log: VerifyAudit = %d, %v", n, err)
				}
				dropAuditGuards(t, s)
				tc.tamper(t, s)
				n, err := s.VerifyAudit(ctx)
				if err == nil {
					t.Fatal("VerifyAudit passed a tampered log")
				}
				if !errors.Is(err, audit.ErrBroken) {
					t.Errorf("error %v does not wrap audit.ErrBroken", err)
				}
				if want := fmt.Sprintf("seq %d:", tc.wantSeq); !strings.Contains(err.Error(), want) {
					t.Errorf("error = %q, want it to name %q", err, want)
				}
				if n > int64(tc.wantSeq) {
					t.Errorf("VerifyAudit reported %d good entries, past the bad seq %d", n, tc.wantSeq)
				}
			})
		})
	}
}

// TestAuditAppendOnly checks T5.4: with the guards in place the log refuses
// updates and deletes through the application's own connection.
func TestAuditAppendOnly(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		for i := range 3 {
			if err := s.Audit(ctx, testActor, audit.ActLogin, "user", int64(i), "ok", ""); err != nil {
				t.Fatal(err)
			}
		}
		statements := []struct {
			name, sql string
			postgres  bool // only on PostgreSQL
		}{
			{"an UPDATE of one entry is refused", "UPDATE audit_log SET detail = 'x' WHERE seq = 2", false},
			{"an UPDATE of every entry is refused", "UPDATE audit_log SET outcome = 'denied'", false},
			{"a DELETE of one entry is refused", "DELETE FROM audit_log WHERE seq = 3", false},
			{"a DELETE of the whole log is refused", "DELETE FROM audit_log", false},
			{"a TRUNCATE is refused", "TRUNCATE audit_log", true},
		}
		for _, tc := range statements {
			t.Run(tc.name, func(t *testing.T) {
				if tc.postgres && s.Engine() != "postgres" {
					t.Skip("SQLite has no TRUNCATE")
				}
				_, err := s.write.ExecContext(ctx, tc.sql)
				if err == nil {
					t.Fatalf("%s succeeded", tc.sql)
				}
				if !strings.Contains(err.Error(), "append-only") {
					t.Errorf("error = %v, want the append-only trigger's message", err)
				}
				if n, err := s.VerifyAudit(ctx); err != nil || n != 3 {
					t.Errorf("VerifyAudit after the refused statement = %d, %v", n, err)
				}
			})
		}
	})
}

// TestAuditFailClosed checks T5.2: when the audit entry cannot be written,
// the change it records is not committed and a read returns no data.
func TestAuditFailClosed(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		st := c.students[0][0][0]
		entries := auditCount(t, s)
		snap := snapshotStudent(t, s, st.id)
		breakAudit := func(t *testing.T) {
			exec(t, s, "ALTER TABLE audit_log RENAME TO audit_log_away")
			t.Cleanup(func() { exec(t, s, "ALTER TABLE audit_log_away RENAME TO audit_log") })
		}

		t.Run("a school whose audit entry fails is not created", func(t *testing.T) {
			breakAudit(t)
			_, err := s.CreateSchool(ctx, testActor, cityScope, SchoolInput{DistrictID: c.districts[0], Code: "S-NOAUDIT", Name: "无审计小学", Type: model.Primary})
			if err == nil {
				t.Fatal("CreateSchool succeeded without its audit entry")
			}
			if n := count(t, s, "schools", "code = ?", "S-NOAUDIT"); n != 0 {
				t.Errorf("the school was committed (%d rows)", n)
			}
		})

		t.Run("a student whose audit entry fails is not created", func(t *testing.T) {
			breakAudit(t)
			before := rowCounts(t, s, "students", "guardians")
			_, err := s.CreateStudent(ctx, testActor, cityScope, cityScope, studentInput(c.classes[0][0][0], newStudent(t, 700)))
			if err == nil {
				t.Fatal("CreateStudent succeeded without its audit entry")
			}
			if after := rowCounts(t, s, "students", "guardians"); !mapsEqual(before, after) {
				t.Errorf("row counts changed from %v to %v", before, after)
			}
		})

		t.Run("a student update whose audit entry fails is not applied", func(t *testing.T) {
			breakAudit(t)
			err := s.UpdateStudent(ctx, testActor, cityScope, cityScope, st.id, StudentInput{Name: ptr("改名"), IDNumber: ptr(idNumber(t, st.birth, 42))})
			if err == nil {
				t.Fatal("UpdateStudent succeeded without its audit entry")
			}
			if got := snapshotStudent(t, s, st.id); got != snap {
				t.Errorf("student changed:\n%s\n%s", snap, got)
			}
		})

		t.Run("a user whose audit entry fails is not created", func(t *testing.T) {
			breakAudit(t)
			if _, err := s.CreateUser(ctx, testActor, NewUser{Username: "no.audit", DisplayName: "无审计", PasswordHash: "x"}); err == nil {
				t.Fatal("CreateUser succeeded without its audit entry")
			}
			if n := count(t, s, "users", "username = ?", "no.audit"); n != 0 {
				t.Errorf("the user was committed")
			}
		})

		t.Run("a student read whose audit entry fails returns an error and no data", func(t *testing.T) {
			breakAudit(t)
			d, err := s.GetStudent(ctx, testActor, cityScope, cityScope, st.id, true)
			if err == nil {
				t.Fatal("GetStudent succeeded without its audit entry")
			}
			if d.Name != "" || d.StudentNo != "" || d.Contact != nil {
				t.Errorf("GetStudent returned data with its error: name %t, student number %t, contact %t",
					d.Name != "", d.StudentNo != "", d.Contact != nil)
			}
		})

		t.Run("a student list whose audit entry fails returns an error and no rows", func(t *testing.T) {
			breakAudit(t)
			rows, _, err := s.ListStudents(ctx, testActor, cityScope, StudentFilter{})
			if err == nil {
				t.Fatal("ListStudents succeeded without its audit entry")
			}
			if len(rows) != 0 {
				t.Errorf("ListStudents returned %d rows with its error", len(rows))
			}
		})

		t.Run("once the log is back the chain is intact and nothing was appended", func(t *testing.T) {
			if n := auditCount(t, s); n != entries {
				t.Errorf("audit log has %d entries, want %d", n, entries)
			}
			if _, err := s.VerifyAudit(ctx); err != nil {
				t.Errorf("VerifyAudit: %v", err)
			}
			if _, err := s.CreateSchool(ctx, testActor, cityScope, SchoolInput{DistrictID: c.districts[0], Code: "S-AFTER", Name: "恢复小学", Type: model.Primary}); err != nil {
				t.Errorf("CreateSchool after repair: %v", err)
			}
			if _, err := s.VerifyAudit(ctx); err != nil {
				t.Errorf("VerifyAudit after repair: %v", err)
			}
		})
	})
}

// TestAuditConcurrentAppends: many writers at once still make one linear
// chain (the head row serialises appenders on PostgreSQL; SQLite has one
// writer).
func TestAuditConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	const workers, each = 8, 20
	eachEngine(t, func(t *testing.T, s *Store) {
		before := auditCount(t, s)
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					var err error
					if i%2 == 0 {
						_, err = s.CreateAgency(ctx, testActor, model.Agency{Kind: model.AgencyCivil, Name: fmt.Sprintf("测试机构-%d-%d", w, i)})
					} else {
						err = s.Audit(ctx, Actor{UserID: int64(w), Role: "system"}, audit.ActLogin, "user", int64(w), "ok", fmt.Sprintf("i=%d", i))
					}
					if err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent append: %v", err)
		}
		n, err := s.VerifyAudit(ctx)
		if err != nil {
			t.Fatalf("VerifyAudit: %v", err)
		}
		if want := int64(before + workers*each); n != want {
			t.Errorf("VerifyAudit checked %d entries, want %d", n, want)
		}
		if got := count(t, s, "agencies", ""); got != workers*each/2 {
			t.Errorf("%d agencies, want %d", got, workers*each/2)
		}
	})
}

// TestVerifyAuditDuringWrites: verifying while other requests append must
// not report a broken chain. VerifyAudit reads the log and then the head in
// two separate statements; a commit in between makes the head run ahead of
// the rows it read.
func TestVerifyAuditDuringWrites(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		for i := range 50 {
			if err := s.Audit(ctx, testActor, audit.ActLogin, "user", int64(i), "ok", ""); err != nil {
				t.Fatal(err)
			}
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if err := s.Audit(ctx, testActor, audit.ActLogin, "user", int64(w), "ok", fmt.Sprintf("i=%d", i)); err != nil {
						t.Errorf("Audit: %v", err)
						return
					}
				}
			}()
		}
		var failures int
		var first error
		deadline := time.Now().Add(500 * time.Millisecond)
		for time.Now().Before(deadline) {
			if _, err := s.VerifyAudit(ctx); err != nil {
				failures++
				if first == nil {
					first = err
				}
			}
		}
		close(stop)
		wg.Wait()
		if failures > 0 {
			t.Errorf("VerifyAudit reported an untampered log as broken %d times under concurrent appends; first: %v", failures, first)
		}
		if _, err := s.VerifyAudit(ctx); err != nil {
			t.Errorf("VerifyAudit after the writers stopped: %v", err)
		}
	})
}
