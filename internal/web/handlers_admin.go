package web

import (
	"net/http"
	"strconv"

	"huhang/internal/auth"
	"huhang/internal/authz"
	"huhang/internal/store"
)

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	offset, limit := pageParams(r)
	us, total, err := s.store.ListUsers(r.Context(), r.URL.Query().Get("q"), offset, limit)
	if err != nil {
		return err
	}
	return s.html(w, c, "users.html", "users.title", nil, map[string]any{"Users": us, "Total": total, "Q": r.URL.Query().Get("q")})
}

func (s *Server) userCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	in := userInputJSON{Username: r.PostFormValue("username"), DisplayName: r.PostFormValue("display_name"), Password: r.PostFormValue("password")}
	if asg, ok := assignmentFromForm(r); ok {
		in.Assignments = []authz.Assignment{asg}
	}
	id, err := s.createUser(r, c, in)
	if err != nil {
		if fields := fieldErrors(err); fields != nil {
			us, total, _ := s.store.ListUsers(r.Context(), "", 0, 50)
			w.WriteHeader(http.StatusBadRequest)
			return s.html(w, c, "users.html", "users.title", nil, map[string]any{"Users": us, "Total": total, "In": in, "Errors": s.fieldMessages(c, fields)})
		}
		return err
	}
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func assignmentFromForm(r *http.Request) (authz.Assignment, bool) {
	role := authz.Role(r.PostFormValue("role"))
	if role == "" {
		return authz.Assignment{}, false
	}
	node, _ := strconv.ParseInt(r.PostFormValue("node_id"), 10, 64)
	return authz.At(role, node), true
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := s.store.UserByID(r.Context(), id)
	if err != nil {
		return err
	}
	return s.html(w, c, "user.html", "users.one", nil, map[string]any{"U": u,
		"Assignments": s.describeAssignments(r.Context(), u.Assignments, c.locale), "Password": r.URL.Query().Get("pw")})
}

func (s *Server) userDisable(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.userSetDisabled(w, r, c, true)
}

func (s *Server) userEnable(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.userSetDisabled(w, r, c, false)
}

func (s *Server) userSetDisabled(w http.ResponseWriter, r *http.Request, c *reqCtx, disabled bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if id == c.user.ID {
		return &store.ValidationError{Fields: []store.FieldError{{Field: "id", Key: "err.disable_self"}}}
	}
	if err := s.store.SetDisabled(r.Context(), c.actor(r), id, disabled); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// userResetPassword sets a generated password, shown once to the
// administrator, and ends the user's sessions.
func (s *Server) userResetPassword(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pw := auth.GeneratePassword()
	hash, err := auth.HashPassword(pw, auth.DefaultParams)
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(r.Context(), c.actor(r), id, hash); err != nil {
		return err
	}
	u, err := s.store.UserByID(r.Context(), id)
	if err != nil {
		return err
	}
	return s.html(w, c, "user.html", "users.one", nil, map[string]any{"U": u,
		"Assignments": s.describeAssignments(r.Context(), u.Assignments, c.locale), "Password": pw})
}

func (s *Server) userAssign(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	asg, ok := assignmentFromForm(r)
	if !ok {
		return &store.ValidationError{Fields: []store.FieldError{{Field: "role", Key: "err.role"}}}
	}
	if _, err := s.store.UserByID(r.Context(), id); err != nil {
		return err
	}
	if err := s.store.AddAssignment(r.Context(), c.actor(r), id, asg); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) userUnassign(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	aid, err := pathID(r, "aid")
	if err != nil {
		return err
	}
	if err := s.store.RemoveAssignment(r.Context(), c.actor(r), id, aid); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	f := auditFilter(r)
	f.Limit = 100
	es, err := s.store.SearchAudit(r.Context(), f)
	if err != nil {
		return err
	}
	var next int64
	if len(es) == f.Limit {
		next = es[len(es)-1].Seq
	}
	return s.html(w, c, "audit.html", "audit.title", nil, map[string]any{"Entries": es, "F": f, "Next": next})
}

// nodesPage lets an administrator find the id of a district, school, class
// or agency to bind an account to: names and ids only, no counts (the
// administrator reads structure, not aggregates).
func (s *Server) nodesPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ctx := r.Context()
	city := authz.Scope{City: true}
	ds, err := s.store.ListDistricts(ctx, city)
	if err != nil {
		return err
	}
	ags, err := s.store.ListAgencies(ctx)
	if err != nil {
		return err
	}
	q := r.URL.Query().Get("q")
	data := map[string]any{"Districts": ds, "Agencies": ags, "Q": q}
	if q != "" {
		schools, _, err := s.store.ListSchools(ctx, city, store.SchoolFilter{Query: q, Limit: 20})
		if err != nil {
			return err
		}
		data["Schools"] = schools
		if len(schools) == 1 {
			classes, err := s.store.ListClasses(ctx, city, schools[0].ID)
			if err != nil {
				return err
			}
			data["Classes"] = classes
		}
	}
	return s.html(w, c, "nodes.html", "nodes.title", nil, data)
}
