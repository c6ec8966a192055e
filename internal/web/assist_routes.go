package web

// assistRoutes are the routes of assistance lists sent to partner agencies.
func (s *Server) assistRoutes() []route {
	return nil
}
