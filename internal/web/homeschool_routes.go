package web

// homeSchoolRoutes are the routes of parent-school activities, home visits,
// visit coverage, key pupils, concerns and the home–school reports.
func (s *Server) homeSchoolRoutes() []route {
	return nil
}
