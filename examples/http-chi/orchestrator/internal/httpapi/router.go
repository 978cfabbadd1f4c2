package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// router dispatches the route table with chi.
func (h *handler) router() http.Handler {
	r := chi.NewRouter()
	// ServeMux answers HEAD on GET routes by itself; chi needs this middleware for it.
	r.Use(middleware.GetHead)
	r.NotFound(h.notFound)
	r.MethodNotAllowed(h.methodNotAllowed)
	for _, rt := range h.routes {
		r.Method(rt.method, rt.path, withRoute(rt.path, rt.handler))
	}
	return r
}
