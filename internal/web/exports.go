package web

import (
	"bytes"
	"net/http"

	"huhang/internal/authz"
	"huhang/internal/export"
	"huhang/internal/model"
	"huhang/internal/store"
)

// exportScope is where the caller may export named pupils: their
// school-level (or wider) D1 read scope. Class-bound roles cannot export
// (SECURITY-TESTS T7.6): a list leaves the system with the file.
func exportScope(c *reqCtx, class authz.DataClass) authz.Scope {
	sc := c.scope(class, authz.Read)
	sc.Classes = nil
	return sc
}

func sendXLSX(w http.ResponseWriter, b []byte, parts ...string) {
	w.Header().Set("Content-Type", export.ContentType)
	w.Header().Set("Content-Disposition", export.Disposition(parts...))
	w.Write(b)
}

// watermark names who exported a file and when, on its first line.
func (s *Server) watermark(c *reqCtx) string {
	return s.cat.T(c.locale, "export.note", c.user.Username, s.now().Format("2006-01-02 15:04"))
}

func (s *Server) writeStudents(w http.ResponseWriter, r *http.Request, c *reqCtx, sc authz.Scope, f store.StudentFilter, keyOnly bool, name string) error {
	t := func(k string) string { return s.cat.T(c.locale, k) }
	cols := []export.Column{{Header: t("class.name")}, {Header: t("student.no")}, {Header: t("student.name")}, {Header: t("student.gender")}, {Header: t("student.birth_date")}}
	if keyOnly {
		cols = append(cols, export.Column{Header: t("student.categories")})
	}
	sheet, err := export.New(name, cols, s.watermark(c))
	if err != nil {
		return err
	}
	full := c.sub.FullNamesIn()
	_, err = s.store.EachStudent(r.Context(), c.actor(r), sc, f, keyOnly, func(x store.StudentRow, cats []model.Category) error {
		v := studentView(x, full.Covers(0, x.SchoolID, x.ClassID))
		row := []any{x.ClassName, v.StudentNo, v.Name, t("gender." + string(x.Gender)), x.BirthDate}
		if keyOnly {
			var names string
			for i, k := range cats {
				if i > 0 {
					names += "、"
				}
				names += t("cat." + string(k))
			}
			row = append(row, names)
		}
		return sheet.Row(row...)
	})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sheet.Write(&buf); err != nil {
		return err
	}
	sendXLSX(w, buf.Bytes(), name, s.now().Format("2006-01-02"))
	return nil
}

func (s *Server) exportClassStudents(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sc := exportScope(c, authz.D1)
	cl, err := s.store.GetClass(r.Context(), sc, id)
	if err != nil {
		return err
	}
	return s.writeStudents(w, r, c, sc, store.StudentFilter{ClassID: id, SchoolID: cl.SchoolID}, false, cl.SchoolName+"_"+cl.Name)
}

func (s *Server) exportSchoolStudents(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sc := exportScope(c, authz.D1)
	school, err := s.store.GetSchool(r.Context(), sc, id)
	if err != nil {
		return err
	}
	return s.writeStudents(w, r, c, sc, store.StudentFilter{SchoolID: id}, false, school.Name+"_"+s.cat.T(c.locale, "students.title"))
}

func (s *Server) exportKeyStudents(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sc := exportScope(c, authz.D2)
	school, err := s.store.GetSchool(r.Context(), sc, id)
	if err != nil {
		return err
	}
	return s.writeStudents(w, r, c, sc, store.StudentFilter{SchoolID: id}, true, school.Name+"_"+s.cat.T(c.locale, "export.key_students"))
}

func (s *Server) exportStaff(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sc := c.scope(authz.D6, authz.Read)
	school, err := s.store.GetSchool(r.Context(), sc, id)
	if err != nil {
		return err
	}
	t := func(k string) string { return s.cat.T(c.locale, k) }
	sheet, err := export.New(school.Name, []export.Column{{Header: t("staff.name")}, {Header: t("student.gender")}, {Header: t("guardian.phone")}, {Header: t("staff.posts")}}, s.watermark(c))
	if err != nil {
		return err
	}
	for offset := 0; ; offset += 500 {
		staff, _, err := s.store.ListStaff(r.Context(), sc, store.StaffFilter{SchoolID: id, Offset: offset, Limit: 500})
		if err != nil {
			return err
		}
		for _, x := range staff {
			var posts string
			for i, p := range x.Posts {
				if i > 0 {
					posts += "、"
				}
				posts += t("post." + string(p.Post))
			}
			if err := sheet.Row(x.Name, t("gender."+string(x.Gender)), x.Phone, posts); err != nil {
				return err
			}
		}
		if len(staff) < 500 {
			break
		}
	}
	var buf bytes.Buffer
	if err := sheet.Write(&buf); err != nil {
		return err
	}
	if err := s.store.AuditExport(r.Context(), c.actor(r), "export.staff", "school", id, school.ID, school.DistrictID, sheet.Rows()); err != nil {
		return err
	}
	sendXLSX(w, buf.Bytes(), school.Name+"_"+t("staff.title"), s.now().Format("2006-01-02"))
	return nil
}
