package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"huhang/internal/authz"
	"huhang/internal/model"
)

func TestCreateUser(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		agency, err := s.CreateAgency(ctx, testActor, model.Agency{Kind: model.Agency12355, Name: "测试青少年服务台"})
		if err != nil {
			t.Fatal(err)
		}

		t.Run("assignments are stored with their parent nodes filled in", func(t *testing.T) {
			id, err := s.CreateUser(ctx, testActor, NewUser{Username: "  Teacher.Wang ", DisplayName: " 王老师 ", PasswordHash: "hash",
				Assignments: []authz.Assignment{
					{Role: authz.ClassTeacher, ClassID: c.classes[1][0][1]},
					{Role: authz.PsychTeacher, SchoolID: c.schools[1][1]},
				}})
			if err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			u, err := s.UserByUsername(ctx, "TEACHER.WANG")
			if err != nil {
				t.Fatalf("UserByUsername: %v", err)
			}
			if u.ID != id || u.Username != "teacher.wang" || u.DisplayName != "王老师" || u.Locale != "" || u.Disabled || !u.CreatedAt.Equal(testEpoch) {
				t.Errorf("user = %+v", u)
			}
			want := []authz.Assignment{
				{Role: authz.ClassTeacher, DistrictID: c.districts[1], SchoolID: c.schools[1][0], ClassID: c.classes[1][0][1]},
				{Role: authz.PsychTeacher, DistrictID: c.districts[1], SchoolID: c.schools[1][1]},
			}
			if len(u.Assignments) != len(want) {
				t.Fatalf("assignments = %+v, want %+v", u.Assignments, want)
			}
			for i, a := range u.Assignments {
				a.ID = 0
				if a != want[i] {
					t.Errorf("assignment %d = %+v, want %+v", i, a, want[i])
				}
			}
			// The filled-in nodes make the subject's scope exact.
			sub := authz.Subject{UserID: u.ID, Assignments: u.Assignments}
			sc := sub.Scope(authz.Need{Class: authz.D2, Level: authz.Read})
			if !sc.Covers(c.districts[1], c.schools[1][0], c.classes[1][0][1]) || sc.Covers(c.districts[1], c.schools[1][0], c.classes[1][0][0]) {
				t.Errorf("scope %+v does not match the assignments", sc)
			}
		})

		invalid := []struct {
			name string
			in   NewUser
			want string
		}{
			{"a user name with capitals and spaces inside is refused", NewUser{Username: "bad name", DisplayName: "甲"}, "username=err.username"},
			{"a user name that is too short is refused", NewUser{Username: "ab", DisplayName: "甲"}, "username=err.username"},
			{"an empty display name is refused", NewUser{Username: "no.display", DisplayName: "  "}, "display_name=err.name_length"},
			{"a taken user name is refused, whatever its case", NewUser{Username: "TEACHER.wang", DisplayName: "甲"}, "username=err.username_taken"},
		}
		for _, tc := range invalid {
			t.Run(tc.name+" and nothing is stored", func(t *testing.T) {
				before := rowCounts(t, s, "users", "assignments", "audit_log")
				_, err := s.CreateUser(ctx, testActor, tc.in)
				wantKeys(t, err, tc.want)
				if after := rowCounts(t, s, "users", "assignments", "audit_log"); !mapsEqual(before, after) {
					t.Errorf("row counts changed from %v to %v", before, after)
				}
			})
		}

		uid, err := s.CreateUser(ctx, testActor, NewUser{Username: "binding.target", DisplayName: "绑定", PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		bindings := []struct {
			name string
			asg  authz.Assignment
			want string // "" = accepted
		}{
			{"a class teacher without a class is refused", authz.Assignment{Role: authz.ClassTeacher}, "class_id=err.required"},
			{"a class teacher of a class that does not exist is refused", authz.Assignment{Role: authz.ClassTeacher, ClassID: 999999}, "class_id=err.required"},
			{"a class teacher named by school only is refused", authz.Assignment{Role: authz.ClassTeacher, SchoolID: c.schools[0][0]}, "class_id=err.required"},
			{"a district official without a district is refused", authz.Assignment{Role: authz.DistrictOfficial}, "district_id=err.required"},
			{"a district official of a district that does not exist is refused", authz.Assignment{Role: authz.DistrictOfficial, DistrictID: 999999}, "district_id=err.required"},
			{"a principal without a school is refused", authz.Assignment{Role: authz.Principal, DistrictID: c.districts[0]}, "school_id=err.required"},
			{"an agency user without an agency is refused", authz.Assignment{Role: authz.AgencyUser}, "agency_id=err.required"},
			{"an unknown role is refused", authz.Assignment{Role: "superuser"}, "role=err.role"},
			{"a district official of an existing district is accepted", authz.Assignment{Role: authz.DistrictOfficial, DistrictID: c.districts[0]}, ""},
			{"a class teacher of an existing class is accepted", authz.Assignment{Role: authz.ClassTeacher, ClassID: c.classes[0][1][1]}, ""},
			{"an agency user of an existing agency is accepted", authz.Assignment{Role: authz.AgencyUser, AgencyID: agency}, ""},
			{"a city official needs no node", authz.Assignment{Role: authz.CityOfficial}, ""},
		}
		for _, tc := range bindings {
			t.Run(tc.name, func(t *testing.T) {
				before := rowCounts(t, s, "assignments", "audit_log")
				err := s.AddAssignment(ctx, testActor, uid, tc.asg)
				after := rowCounts(t, s, "assignments", "audit_log")
				if tc.want == "" {
					if err != nil {
						t.Fatalf("AddAssignment: %v", err)
					}
					if after["assignments"] != before["assignments"]+1 || after["audit_log"] != before["audit_log"]+1 {
						t.Errorf("row counts went from %v to %v, want one more assignment and one more entry", before, after)
					}
					return
				}
				wantKeys(t, err, tc.want)
				if !mapsEqual(before, after) {
					t.Errorf("row counts changed from %v to %v", before, after)
				}
			})
		}

		t.Run("granting the same assignment twice stores it once", func(t *testing.T) {
			asg := authz.Assignment{Role: authz.Teacher, ClassID: c.classes[0][0][0]}
			if err := s.AddAssignment(ctx, testActor, uid, asg); err != nil {
				t.Fatal(err)
			}
			before := rowCounts(t, s, "assignments", "audit_log")
			if err := s.AddAssignment(ctx, testActor, uid, asg); err != nil {
				t.Fatal(err)
			}
			if after := rowCounts(t, s, "assignments", "audit_log"); !mapsEqual(before, after) {
				t.Errorf("row counts changed from %v to %v", before, after)
			}
		})
	})
}

// TestSeparationOfDuties: the system administrator and the auditor never
// share an account with each other or with any role that sees children.
func TestSeparationOfDuties(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		principal := authz.Assignment{Role: authz.Principal, SchoolID: c.schools[0][0]}
		classTeacher := authz.Assignment{Role: authz.ClassTeacher, ClassID: c.classes[0][0][0]}
		sysadmin := authz.Assignment{Role: authz.SysAdmin}
		auditor := authz.Assignment{Role: authz.Auditor}
		city := authz.Assignment{Role: authz.CityOfficial}
		tests := []struct {
			name    string
			roles   []authz.Assignment
			allowed bool
		}{
			{"a system administrator cannot also be a principal", []authz.Assignment{sysadmin, principal}, false},
			{"a principal cannot also be a system administrator", []authz.Assignment{principal, sysadmin}, false},
			{"a system administrator cannot also be the auditor", []authz.Assignment{sysadmin, auditor}, false},
			{"the auditor cannot also be a system administrator", []authz.Assignment{auditor, sysadmin}, false},
			{"the auditor cannot also be a city official", []authz.Assignment{auditor, city}, false},
			{"a class teacher cannot also be the auditor", []authz.Assignment{classTeacher, auditor}, false},
			{"a system administrator cannot also be a class teacher", []authz.Assignment{sysadmin, classTeacher}, false},
			{"a principal may also be a class teacher", []authz.Assignment{principal, classTeacher}, true},
			{"a system administrator granted twice stays one assignment", []authz.Assignment{sysadmin, sysadmin}, true},
		}
		for i, tc := range tests {
			t.Run(tc.name+" (at creation)", func(t *testing.T) {
				before := rowCounts(t, s, "users", "assignments", "audit_log")
				_, err := s.CreateUser(ctx, testActor, NewUser{Username: fmt.Sprintf("sod.create.%d", i), DisplayName: "职责", PasswordHash: "x", Assignments: tc.roles})
				after := rowCounts(t, s, "users", "assignments", "audit_log")
				if tc.allowed {
					if err != nil {
						t.Fatalf("CreateUser: %v", err)
					}
					return
				}
				wantKeys(t, err, "role=err.separation_of_duties")
				if !mapsEqual(before, after) {
					t.Errorf("a refused account was partly stored: %v → %v", before, after)
				}
			})
			t.Run(tc.name+" (granted later)", func(t *testing.T) {
				uid, err := s.CreateUser(ctx, testActor, NewUser{Username: fmt.Sprintf("sod.later.%d", i), DisplayName: "职责", PasswordHash: "x",
					Assignments: tc.roles[:1]})
				if err != nil {
					t.Fatal(err)
				}
				before := rowCounts(t, s, "assignments", "audit_log")
				err = s.AddAssignment(ctx, testActor, uid, tc.roles[1])
				after := rowCounts(t, s, "assignments", "audit_log")
				if tc.allowed {
					if err != nil {
						t.Fatalf("AddAssignment: %v", err)
					}
					return
				}
				wantKeys(t, err, "role=err.separation_of_duties")
				if !mapsEqual(before, after) {
					t.Errorf("a refused grant was stored: %v → %v", before, after)
				}
				as, err := s.Assignments(ctx, uid)
				if err != nil || len(as) != 1 || as[0].Role != tc.roles[0].Role {
					t.Errorf("assignments = %+v, %v; want only %s", as, err, tc.roles[0].Role)
				}
			})
		}
	})
}

// TestSessionsEnd: changing a password, disabling an account or removing an
// assignment ends every session of that user, and only of that user.
func TestSessionsEnd(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		c := newCity(t, s)
		n := 0
		tests := []struct {
			name         string
			change       func(uid int64) error
			revokeTokens bool
		}{
			{"setting a password ends the user's sessions", func(uid int64) error { return s.SetPassword(ctx, testActor, uid, "new-hash") }, false},
			{"disabling the account ends the user's sessions and revokes its tokens", func(uid int64) error { return s.SetDisabled(ctx, testActor, uid, true) }, true},
			{"removing an assignment ends the user's sessions", func(uid int64) error {
				as, err := s.Assignments(ctx, uid)
				if err != nil {
					return err
				}
				return s.RemoveAssignment(ctx, testActor, uid, as[0].ID)
			}, false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				n++
				var uids [2]int64
				for i := range uids {
					id, err := s.CreateUser(ctx, testActor, NewUser{Username: fmt.Sprintf("sess.%d.%d", n, i), DisplayName: "会话", PasswordHash: "x",
						Assignments: []authz.Assignment{{Role: authz.Principal, SchoolID: c.schools[0][0]}}})
					if err != nil {
						t.Fatal(err)
					}
					uids[i] = id
					for j := range 2 {
						if err := s.CreateSession(ctx, []byte(fmt.Sprintf("sess-%d-%d-%d", n, i, j)), id, j == 1); err != nil {
							t.Fatal(err)
						}
					}
					if _, err := s.CreateToken(ctx, testActor, id, "脚本", []byte(fmt.Sprintf("tok-%d-%d", n, i)), testEpoch.Add(time.Hour)); err != nil {
						t.Fatal(err)
					}
				}
				if err := tc.change(uids[0]); err != nil {
					t.Fatalf("change: %v", err)
				}
				for j := range 2 {
					_, err := s.SessionByHash(ctx, []byte(fmt.Sprintf("sess-%d-0-%d", n, j)))
					wantNotFound(t, "the changed user's session", err)
					x, err := s.SessionByHash(ctx, []byte(fmt.Sprintf("sess-%d-1-%d", n, j)))
					if err != nil || x.UserID != uids[1] {
						t.Errorf("the other user's session = %+v, %v; want it kept", x, err)
					}
				}
				_, err := s.UserIDByToken(ctx, []byte(fmt.Sprintf("tok-%d-0", n)))
				if tc.revokeTokens {
					wantNotFound(t, "the disabled user's token", err)
				} else if err != nil {
					t.Errorf("the user's token stopped working: %v", err)
				}
				if id, err := s.UserIDByToken(ctx, []byte(fmt.Sprintf("tok-%d-1", n))); err != nil || id != uids[1] {
					t.Errorf("the other user's token = %d, %v", id, err)
				}
			})
		}

		t.Run("a disabled account is marked disabled", func(t *testing.T) {
			u, err := s.UserByUsername(ctx, "sess.2.0")
			if err != nil || !u.Disabled {
				t.Errorf("user = %+v, %v; want disabled", u, err)
			}
		})

		t.Run("changes to a user that does not exist answer not found", func(t *testing.T) {
			wantNotFound(t, "SetPassword", s.SetPassword(ctx, testActor, 999999, "h"))
			wantNotFound(t, "SetDisabled", s.SetDisabled(ctx, testActor, 999999, true))
			wantNotFound(t, "RemoveAssignment", s.RemoveAssignment(ctx, testActor, 999999, 1))
		})

	})
}

// TestDeleteExpiredSessions: sessions idle past the idle cutoff or older
// than the absolute cutoff are removed; live ones stay.
func TestDeleteExpiredSessions(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		clock := envOf(t, s).clock
		uid, err := s.CreateUser(ctx, testActor, NewUser{Username: "sess.expiry", DisplayName: "过期", PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		// At 08:00 "old" starts and is used until 12:00; "idle" starts at 08:00
		// and is never used again; "live" starts at 12:00.
		for _, h := range []string{"old", "idle"} {
			if err := s.CreateSession(ctx, []byte(h), uid, true); err != nil {
				t.Fatal(err)
			}
		}
		for range 16 {
			clock.Advance(15 * time.Minute)
			if err := s.TouchSession(ctx, []byte("old")); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CreateSession(ctx, []byte("live"), uid, true); err != nil {
			t.Fatal(err)
		}
		clock.Advance(5 * time.Hour) // 17:00
		if err := s.TouchSession(ctx, []byte("old")); err != nil {
			t.Fatal(err)
		}
		if err := s.TouchSession(ctx, []byte("live")); err != nil {
			t.Fatal(err)
		}
		now := clock.Now()
		n, err := s.DeleteExpiredSessions(ctx, now.Add(-15*time.Minute), now.Add(-8*time.Hour))
		if err != nil || n != 2 {
			t.Errorf("DeleteExpiredSessions = %d, %v; want 2", n, err)
		}
		for _, tc := range []struct {
			name, hash string
			alive      bool
		}{
			{"a session idle past the idle limit is gone", "idle", false},
			{"a session older than the absolute limit is gone although it was just used", "old", false},
			{"a recent, recently used session stays", "live", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.SessionByHash(ctx, []byte(tc.hash))
				if tc.alive && err != nil {
					t.Errorf("SessionByHash: %v", err)
				}
				if !tc.alive {
					wantNotFound(t, "SessionByHash", err)
				}
			})
		}
	})
}

func TestUseTOTPStep(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		uid, err := s.CreateUser(ctx, testActor, NewUser{Username: "totp.user", DisplayName: "动态码", PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.EnableTOTP(ctx, testActor, uid, []byte("sealed"), 1000, []string{"r1", "r2"}); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name string
			step int64
			ok   bool
		}{
			{"the step used at enrolment cannot be used again", 1000, false},
			{"an older step is refused", 999, false},
			{"the next step is accepted", 1001, true},
			{"the same step a second time is refused (replay)", 1001, false},
			{"a step further ahead is accepted", 1003, true},
			{"a step between the last two is refused", 1002, false},
		}
		for _, tc := range steps {
			t.Run(tc.name, func(t *testing.T) {
				ok, err := s.UseTOTPStep(ctx, uid, tc.step)
				if err != nil || ok != tc.ok {
					t.Errorf("UseTOTPStep(%d) = %v, %v; want %v", tc.step, ok, err, tc.ok)
				}
			})
		}
		t.Run("the last used step is stored", func(t *testing.T) {
			u, err := s.UserByID(ctx, uid)
			if err != nil || u.TOTPLastStep != 1003 || !u.TOTPEnabled {
				t.Errorf("user = last step %d, enabled %v, %v", u.TOTPLastStep, u.TOTPEnabled, err)
			}
		})
		t.Run("two racing uses of one step succeed once", func(t *testing.T) {
			results := make(chan bool, 8)
			for range 8 {
				go func() {
					ok, err := s.UseTOTPStep(ctx, uid, 2000)
					if err != nil {
						t.Errorf("UseTOTPStep: %v", err)
					}
					results <- ok
				}()
			}
			wins := 0
			for range 8 {
				if <-results {
					wins++
				}
			}
			if wins != 1 {
				t.Errorf("%d of 8 concurrent uses of one step succeeded, want 1", wins)
			}
		})
		t.Run("a recovery code works once", func(t *testing.T) {
			for i, want := range []bool{true, false} {
				ok, err := s.UseRecoveryCode(ctx, uid, "r2")
				if err != nil || ok != want {
					t.Errorf("use %d: UseRecoveryCode = %v, %v; want %v", i+1, ok, err, want)
				}
			}
			u, err := s.UserByID(ctx, uid)
			if err != nil || !slices.Equal(u.RecoveryCodes, []string{"r1"}) {
				t.Errorf("recovery codes = %v, %v; want [r1]", u.RecoveryCodes, err)
			}
		})
	})
}

func TestAPITokens(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, s *Store) {
		clock := envOf(t, s).clock
		uid, err := s.CreateUser(ctx, testActor, NewUser{Username: "token.user", DisplayName: "令牌", PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.CreateUser(ctx, testActor, NewUser{Username: "token.other", DisplayName: "他人", PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		live, err := s.CreateToken(ctx, testActor, uid, "同步脚本", []byte("hash-live"), testEpoch.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		revoked, err := s.CreateToken(ctx, testActor, uid, "旧脚本", []byte("hash-revoked"), testEpoch.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, testActor, uid, revoked); err != nil {
			t.Fatal(err)
		}

		t.Run("a token needs a name", func(t *testing.T) {
			_, err := s.CreateToken(ctx, testActor, uid, "  ", []byte("hash-noname"), testEpoch.Add(time.Hour))
			wantKeys(t, err, "name=err.name_length")
		})
		t.Run("a user cannot revoke another user's token", func(t *testing.T) {
			wantNotFound(t, "RevokeToken", s.RevokeToken(ctx, testActor, other, live))
		})

		tests := []struct {
			name    string
			advance time.Duration // from the previous case
			hash    string
			wantUID int64 // 0 = not resolved
		}{
			{"a live token resolves to its user", 0, "hash-live", uid},
			{"a revoked token is not resolved", 0, "hash-revoked", 0},
			{"an unknown token is not resolved", 0, "hash-unknown", 0},
			{"a token one millisecond before expiry still resolves", time.Hour - time.Millisecond, "hash-live", uid},
			{"a token at its expiry instant is not resolved", time.Millisecond, "hash-live", 0},
			{"an expired token is not resolved", 48 * time.Hour, "hash-live", 0},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				clock.Advance(tc.advance)
				id, err := s.UserIDByToken(ctx, []byte(tc.hash))
				if tc.wantUID == 0 {
					wantNotFound(t, "UserIDByToken", err)
					return
				}
				if err != nil || id != tc.wantUID {
					t.Errorf("UserIDByToken = %d, %v; want %d", id, err, tc.wantUID)
				}
			})
		}

		t.Run("a token created for a disabled account is not resolved", func(t *testing.T) {
			if err := s.SetDisabled(ctx, testActor, other, true); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateToken(ctx, testActor, other, "停用后", []byte("hash-disabled"), clock.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			_, err := s.UserIDByToken(ctx, []byte("hash-disabled"))
			wantNotFound(t, "UserIDByToken for a disabled account", err)
		})

		t.Run("the token list shows revocation and expiry", func(t *testing.T) {
			ts, err := s.ListTokens(ctx, uid)
			if err != nil || len(ts) != 2 {
				t.Fatalf("ListTokens = %+v, %v", ts, err)
			}
			for _, tk := range ts {
				switch tk.ID {
				case live:
					if tk.Revoked || !tk.ExpiresAt.Equal(testEpoch.Add(time.Hour)) {
						t.Errorf("live token = %+v", tk)
					}
				case revoked:
					if !tk.Revoked {
						t.Errorf("revoked token = %+v", tk)
					}
				}
			}
		})
	})
}
